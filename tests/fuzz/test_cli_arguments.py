"""Issue 16: every command's options and input files, fuzzed with hypothesis, end with an exit
code from the documented set and a message, never a traceback or a hang.

Each command's options come from its own parser, so a new option is fuzzed without editing
this file. Values are hostile numbers and text and paths to hostile files (random bytes, a
new file of drawn content, a folder, nothing, a file standing in for a folder). Commands
that would serve or record for as long as they are told (`tui`, `simulate`) are fuzzed
through their parser; `record` always gets a `--port` that is no board, so it ends as soon
as the port refuses.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from microexp_tui.cli import build_parser, main
from microexp_tui.schema.arguments import (
    finite_float,
    positive_float,
    positive_int,
    seed_number,
    user_path,
)
from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session
from tests.cli.run import DOCUMENTED_EXIT_CODES

EXAMPLES_PER_COMMAND = 200
"""The issue's bound on CI cost."""
HEAVY_COMMAND_EXAMPLES = 100
"""Commands that load TensorFlow, reportlab or a recording's threads get fewer examples."""
EXAMPLE_BOUND_S = 60
"""An example still running after this long is a hang."""
PARSE_ONLY = frozenset({"tui", "simulate"})
HEAVY = frozenset({"record", "train", "evaluate", "report", "reprocess", "microexpressions"})

NUMBERS = ["0", "-1", "1", "nan", "inf", "-inf", "1e308", "99999999999999999999", "0x10", "2.5"]
PLAUSIBLE_INTS = ["1", "2", "3"]
TOML_SNIPPETS = [
    'title = "x"\nrepetitions = 100000000\n[[block]]\nkind = "rest"\nduration_s = 1\n',
    'title = "x"\n[[block]]\nkind = "rest"\ntext = "r"\nduration_s = nan\n',
    f'title = "{"x" * 5000}"\n',
    "title = 5\n",
    "[[block]]\n" * 50,
    'sections = ["cover", "nonsense"]\n',
    "= broken toml",
]
PLAUSIBLE_TEXTS = ["P001", "demo", "six_emotions", "default", "Alice Operator", "uV"]
NOT_FUZZED = {"record": ("simulate", "port")}
"""`record` never records from the simulator here (it would run for --duration-s); its --port
is always one of the hostile paths, added last."""
TEXTS = ["", " ", "x", "é", "\x1b[31mred", "a\nb", "--", "-", "../../etc/passwd", "0" * 300]


NO_NUL = st.characters(codec="utf-8", exclude_characters="\x00")
"""What a command line can hold: no NUL byte (the kernel passes C strings) and no lone
surrogate (Python decodes argv as UTF-8, with only surrogateescape's \udc80-\udcff)."""


class Hang(Exception):
    """An example ran past EXAMPLE_BOUND_S."""


@dataclass(frozen=True)
class Files:
    """Hostile paths for one test: what a fuzzed path option may point at."""

    root: Path
    database: Path

    def paths(self) -> list[Path]:
        """Every kind of path the fuzz hands to an option."""
        return [
            self.database,
            self.root / "missing",
            self.root / "random.bin",
            self.root / "empty",
            self.root / "folder",
            self.root / "random.bin" / "under-a-file",
            Path("/proc/microexp-fuzz"),
            Path("/dev/null"),
        ]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """A database with two sessions and a folder of hostile files, shared by the examples."""
    root = tmp_path_factory.mktemp("fuzz")
    database = root / "sessions.sqlite"
    with SessionStore.open(database) as store:
        write_session(store, 2, simulated=True)
        write_session(store, 1, simulated=False)
    (root / "random.bin").write_bytes(bytes(range(256)) * 3)
    (root / "empty").write_bytes(b"")
    (root / "folder").mkdir()
    (root / "settings.toml").write_text("", encoding="utf-8")
    return Files(root, database)


def _command_parsers() -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser, by name."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("microexp has no commands")


COMMAND_PARSERS = _command_parsers()


def _value(action: argparse.Action, paths: list[Path], hostile: bool) -> st.SearchStrategy[str]:
    """A value for one option: one of its choices, a plausible number or a path, and when
    `hostile` also hostile numbers and text."""
    path_values = st.one_of(
        st.sampled_from([str(p) for p in paths]), _written_file(paths[0].parent)
    )
    if action.choices:
        options = [st.sampled_from([str(c) for c in action.choices])]
    elif action.type in (int, positive_int, seed_number):
        options = [st.sampled_from(PLAUSIBLE_INTS)]
    elif action.type in (float, positive_float, finite_float):
        options = [st.sampled_from([*PLAUSIBLE_INTS, "0.5"])]
    elif action.type is user_path:
        options = [path_values]
    else:
        options = [path_values, st.sampled_from(PLAUSIBLE_TEXTS)]
    if hostile:
        options.append(path_values)
        options += [st.sampled_from(NUMBERS), st.sampled_from(TEXTS), st.text(NO_NUL, max_size=20)]
    return st.one_of(*options)


FILE_TEXTS = st.one_of(
    st.binary(max_size=300),
    st.text(NO_NUL, max_size=200).map(str.encode),
    st.sampled_from(TOML_SNIPPETS).map(str.encode),
)


def _written_file(root: Path) -> st.SearchStrategy[str]:
    """A path to a new file of drawn content (bytes, text or TOML-like), named like a
    protocol, template, CSV or model so each reader gets its own hostile input."""
    suffix = st.sampled_from([".toml", ".csv", ".onnx", ".key", ".edf", ".json", ""])
    return st.tuples(FILE_TEXTS, suffix, st.integers(0, 10**9)).map(
        lambda drawn: _write(root / "drawn" / f"f{drawn[2]}{drawn[1]}", drawn[0])
    )


def _write(path: Path, content: bytes) -> str:
    """Write `content` to `path` (creating its folder); the path as text."""
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return str(path)


@st.composite
def _argv(draw: st.DrawFn, command: str, paths: list[Path]) -> list[str]:
    """A command line for `command`: some of its options, in any order, with plausible values
    (every other example also hostile ones)."""
    parser = COMMAND_PARSERS[command]
    hostile = draw(st.booleans())
    argv = [command]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.dest in NOT_FUZZED.get(command, ()):
            continue
        is_positional = not action.option_strings
        if not (is_positional or action.required) and not draw(st.booleans()):
            continue
        if not is_positional:
            argv.append(draw(st.sampled_from(action.option_strings)))
        if action.nargs == 0:
            continue
        count = draw(st.integers(1, 3)) if action.nargs in ("+", "*") else 1
        argv += [draw(_value(action, paths, hostile)) for _ in range(count)]
    if command == "export" and draw(st.booleans()):
        argv += ["verify", draw(st.sampled_from([str(p) for p in paths]))]
    if command == "record":
        argv += ["--port", draw(st.sampled_from([str(p) for p in paths]))]
    return argv


@contextlib.contextmanager
def _bounded(seconds: int) -> Iterator[None]:
    """Raise Hang in this (main) thread when the block runs longer than `seconds`."""

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run(argv: list[str], parse_only: bool) -> tuple[int, str]:
    """Run (or only parse) one command line in this process; its exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            with _bounded(EXAMPLE_BOUND_S):
                if parse_only:
                    build_parser().parse_args(argv)
                    return 0, err.getvalue()
                return main(argv), err.getvalue()
        except SystemExit as exit_:  # argparse: usage errors (2) and --help (0)
            code = exit_.code if isinstance(exit_.code, int) else 2
            return code, err.getvalue()


@pytest.mark.parametrize("command", sorted(COMMAND_PARSERS))
def test_every_command_line_ends_with_a_documented_exit_code(
    command: str, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROEXP_CONFIG_FILE", str(files.root / "settings.toml"))
    monkeypatch.setenv("MICROEXP_DATA_DIR", str(files.root / "data"))
    monkeypatch.chdir(files.root)
    examples = HEAVY_COMMAND_EXAMPLES if command in HEAVY else EXAMPLES_PER_COMMAND

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(argv=_argv(command, files.paths()))
    def one_command_line(argv: list[str]) -> None:
        code, err = _run(argv, parse_only=command in PARSE_ONLY)
        event(f"exit code {code}")
        assert code in DOCUMENTED_EXIT_CODES, (argv, code, err)
        assert "Traceback" not in err, (argv, err)
        if code not in (0, 130):
            assert err.strip(), ("a failure says why", argv, code)

    one_command_line()
