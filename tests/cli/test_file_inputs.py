"""Issue 16: files a person writes that are not text, are folders, or hold values that would
hang or mislead are refused by their pydantic schema, naming the file and field (exit 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.run import run_microexp

BLOCK = '[[block]]\nkind = "rest"\ntext = "Relax"\n'
PROTOCOLS: dict[str, tuple[bytes, str]] = {
    "not-utf8": ('title = "caf\xe9"\n'.encode("latin-1") + BLOCK.encode() + b"duration_s = 1\n",
                 "is not UTF-8 text"),
    "a-hundred-million-repetitions": (
        f'title = "x"\nrepetitions = 100000000\n{BLOCK}duration_s = 1\n'.encode(),
        "'repetitions' must be at most",
    ),
    "duration-nan": (f'title = "x"\n{BLOCK}duration_s = nan\n'.encode(), "must be a finite"),
    "duration-inf": (f'title = "x"\n{BLOCK}duration_s = inf\n'.encode(), "must be a finite"),
    "jitter-nan": (
        f'title = "x"\n{BLOCK}duration_s = 1\njitter_s = nan\n'.encode(),
        "'block[1].jitter_s' must be a finite",
    ),
    "number-as-title": (f"title = 5\n{BLOCK}duration_s = 1\n".encode(), "'title' must be text"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(PROTOCOLS))
def test_a_bad_protocol_is_refused_before_recording(tmp_path: Path, case: str) -> None:
    content, words = PROTOCOLS[case]
    protocol = tmp_path / f"{case}.toml"
    protocol.write_bytes(content)
    db = tmp_path / "rec.sqlite"
    run = run_microexp(
        "record", "--simulate", "--db", db, "--duration-s", "1", "--protocol", protocol
    )
    run.assert_refused(7, str(protocol), words)
    assert not db.exists(), "no session was started"


def test_a_protocol_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "protocol.toml"
    folder.mkdir()
    run = run_microexp(
        "record", "--simulate", "--db", tmp_path / "r.sqlite", "--duration-s", "1",
        "--protocol", folder,
    )  # fmt: skip
    run.assert_refused(7, "is a folder, not a file")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('title = "caf\xe9"\n'.encode("latin-1"), "is not UTF-8 text"),
        (f'title = "{"x" * 200_000}"\n'.encode(), "'title' must have at most"),
        (b"title = 5\n", "'title' must be text"),
    ],
    ids=["not-utf8", "200000-character-title", "number-as-title"],
)
def test_a_bad_report_template_is_refused(
    two_sessions: Path, tmp_path: Path, content: bytes, words: str
) -> None:
    template = tmp_path / "template.toml"
    template.write_bytes(content)
    out = tmp_path / "r.pdf"
    run = run_microexp("report", "1", "--db", two_sessions, "-o", out, "--template", template)
    run.assert_refused(7, str(template), words)
    assert not out.exists()


def test_a_report_template_that_is_a_folder_is_refused(two_sessions: Path, tmp_path: Path) -> None:
    folder = tmp_path / "template.toml"
    folder.mkdir()
    run = run_microexp(
        "report", "1", "--db", two_sessions, "-o", tmp_path / "r.pdf", "--template", folder
    )
    run.assert_refused(7, "is a folder, not a file")


def test_unbounded_mains_harmonics_in_the_settings_are_refused(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("[filters]\nmains_harmonics = 100000000\n", encoding="utf-8")
    env = {"MICROEXP_CONFIG_FILE": str(settings), "MICROEXP_DATA_DIR": str(tmp_path / "data")}
    run_microexp("sessions", env=env).assert_refused(
        7, str(settings), "'filters.mains_harmonics' must be at most"
    )
