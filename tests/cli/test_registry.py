"""The command registry: every command is listed, dispatches to its module, keeps its options."""

from __future__ import annotations

import pytest

from microexp_tui import __version__
from microexp_tui.cli import build_parser, main
from microexp_tui.cli.commands import export, simulate, train_evaluate
from microexp_tui.cli.registry import COMMANDS

COMMAND_NAMES = (
    "record",
    "sessions",
    "tui",
    "ports",
    "train",
    "evaluate",
    "reprocess",
    "export",
    "import",
    "report",
    "audit",
    "microexpressions",
    "simulate",
)


def test_help_lists_every_command_in_registry_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    positions = [out.index(f"\n    {name}") for name in COMMAND_NAMES]
    assert positions == sorted(positions)


def test_each_command_runs_the_run_of_the_module_that_added_it() -> None:
    parser = build_parser()
    minimal = {
        "train": "--dataset d --arch cnn --input window --protocol split --out o",
        "evaluate": "--model m.onnx --dataset d",
        "reprocess": "1 --model m.onnx",
        "report": "1 -o r.pdf",
        "microexpressions": "1",
        "record": "--duration-s 1",
        "import": "dataset",
        "audit": "verify",
    }
    modules = {module.run for module in COMMANDS}
    for name in COMMAND_NAMES:
        args = parser.parse_args([name, *minimal.get(name, "").split()])
        assert args.command == name and args.run in modules
    assert parser.parse_args(["evaluate", *minimal["evaluate"].split()]).run is train_evaluate.run
    assert parser.parse_args(["export", "verify", "d"]).run is export.run
    assert parser.parse_args(["simulate"]).run is simulate.run


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"microexp-tui {__version__}"


def test_a_shared_option_keeps_its_choices_in_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["record", "--duration-s", "1"], ["export", "--out", "x"], ["reprocess", "1"]):
        with pytest.raises(SystemExit) as done:
            main([*argv, "--mains-hz", "55"])
        assert done.value.code == 2
        assert "--mains-hz: invalid choice: 55.0" in capsys.readouterr().err


def test_settings_defaults_are_left_unset_while_parsing() -> None:
    args = build_parser().parse_args(["record", "--duration-s", "1"])
    assert args.db is None and args.mains_hz is None and args.model is None
    assert args.hop_ms == 100.0 and args.sim_mode == "envelope"
