"""`microexp simulate --au-csv`: the scenario AU file, readable by the importer; refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.expressions.au_import import au_events, read_au_csv
from microexp_tui.paths import resource_dir
from microexp_tui.simulator.scenario import load_scenario

SCENARIO = resource_dir("templates") / "scenarios" / "micro_macro.toml"


def test_writes_a_readable_openface_file_for_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "aus.csv"
    argv = ["simulate", "--scenario", str(SCENARIO), "--au-csv", str(out)]
    code = main([*argv, "--au-miss", "0", "--au-extras-per-min", "0"])
    assert code == 0
    assert f"wrote {out}" in capsys.readouterr().out
    events = au_events(read_au_csv(out))
    happy_micro = [e for e in events if e.action_unit == "AU12" and abs(e.onset_s - 2.0) < 0.06]
    assert len(happy_micro) == 1
    scripted = load_scenario(SCENARIO).expressions
    assert {round(e.onset_s) for e in events} <= {round(x.onset_s) for x in scripted}


def test_refuses_without_a_scenario_and_with_bad_rates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--au-csv", str(tmp_path / "a.csv")]) != 0
    assert "needs --scenario" in capsys.readouterr().err
    argv = ["simulate", "--scenario", str(SCENARIO), "--au-csv", str(tmp_path / "a.csv")]
    assert main([*argv, "--au-miss", "2"]) != 0
    assert "--au-miss must be 0..1" in capsys.readouterr().err
    assert main(["simulate", "--scenario", str(SCENARIO), "--au-csv", str(tmp_path)]) != 0
    assert "cannot write" in capsys.readouterr().err
