"""Scenario and replay files: the templates load, and every mistake is named precisely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.device.protocol import Command
from microexp_tui.errors import DeviceError, InputError
from microexp_tui.paths import seed_dataset_dir
from microexp_tui.simulator import start_simulator_process
from microexp_tui.simulator.faults import parse_fault_spec
from microexp_tui.simulator.replay import load_replay
from microexp_tui.simulator.scenario import load_scenario
from tests.simulator import Host

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "scenarios"
SEED_CSV = seed_dataset_dir() / "subject_01.csv"
HEADER = "timestamp,emotion_label,s1,s2,s3,s4,s5,s6,s7,s8,muscle_name\n"


def test_the_templates_load() -> None:
    example = load_scenario(TEMPLATES / "example.toml")
    kinds = {fault.kind for fault in example.faults}
    assert kinds == {"electrode_off", "clipping", "corrupt", "drop", "disconnect"}
    assert any(e.is_micro for e in example.expressions)
    ground_truth = load_scenario(TEMPLATES / "micro_macro.toml")
    micro = [e for e in ground_truth.expressions if e.is_micro]
    macro = [e for e in ground_truth.expressions if not e.is_micro]
    assert len(micro) == 7 and len(macro) == 4
    assert all(0.04 <= e.duration_s < 0.5 for e in micro)
    assert ground_truth.faults == () and ground_truth.motion_artifacts_per_min == 0
    assert not ground_truth.participant.spontaneous


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[[expression]]\nat_s = 1\nemotion = 'joy'\nduration_ms = 100\n",
            "field 'expression[1].emotion'",
        ),
        ("[[expression]]\nat_s = 1\nemotion = 'happy'\n", "field 'expression[1].duration_ms'"),
        (
            "[[expression]]\nat_s = 1\nemotion = 'happy'\nduration_ms = 100\n"
            "[[expression]]\nat_s = 2\nchannels = [0]\nduration_ms = 100\n",
            "field 'expression[2].channels[1]'",
        ),
        (
            "[[expression]]\nat_s = -1\nchannels = [1]\nduration_ms = 100\n",
            "field 'expression[1].at_s'",
        ),
        ("[[expression]]\nat_s = 1\nchannels = [1]\nduration_ms = 'x'\n", "must be a number"),
        ("[[expression]]\nat_s = 1\nduration_ms = 100\n", "exactly one of 'emotion' or 'channels'"),
        (
            "[[expression]]\nat_s = 1\nchannels = [2]\nduration_ms = 90\ncolour = 1\n",
            "'expression[1].colour'",
        ),
        ("[[fault]]\nat_s = 1\nkind = 'fire'\n", "field 'fault[1].kind'"),
        ("[participant]\nlatency_ms = [800, 300]\n", "field 'participant.latency_ms'"),
        ("[signal]\nmotion_artifacts_per_min = true\n", "field 'signal.motion_artifacts"),
        ("expression = 3\n", "field 'expression'"),
        ("[[expression]\n", "not valid TOML"),
    ],
)
def test_scenario_errors_name_file_entry_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)


def test_fault_specs_are_parsed_and_errors_explained() -> None:
    with pytest.raises(InputError, match="KIND@START_S"):
        parse_fault_spec("unplug@3")
    with pytest.raises(InputError, match=r"outside 1\.\.16"):
        parse_fault_spec("clipping@1:1:0,3")
    fault = parse_fault_spec("electrode_off@2.5::1,3-4")
    assert (fault.start_s, fault.duration_s, fault.channels) == (2.5, 2.0, (0, 2, 3))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("1,happy,1,2,3,4,5,6,7,8,x\n1,happy,1,2,3,4,five,6,7,8,x\n", "line 3: column s5"),
        ("1,happy,1,2,3,4,5,6,7,8,x\n1,happy,1,2,3\n", "line 3: expected 11 columns"),
        ("1,happy,1,2,3,4,5,6,7,2000,x\n", "line 2: column s8 = 2000"),
    ],
)
def test_malformed_replay_csv_names_the_line(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body)
    with pytest.raises(InputError, match=expected):
        load_replay(path)
    path.write_text("time,a,b\n")
    with pytest.raises(InputError, match="line 1: expected the seed header"):
        load_replay(path)


def test_a_bad_file_stops_the_process_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[fault]]\nat_s = 1\nkind = 'fire'\n")
    with pytest.raises(DeviceError, match=r"exited \(code 7\).*field 'fault\[1\]\.kind'"):
        start_simulator_process(["--scenario", str(path)])


@pytest.mark.skipif(not SEED_CSV.exists(), reason="seed dataset not available")
def test_replay_streams_the_csv_values_exactly_and_loops() -> None:
    expected = load_replay(SEED_CSV).counts
    with start_simulator_process(
        ["--fast", "--replay", str(SEED_CSV), "--replay-rate-hz", "1000"]
    ) as simulator:
        host = Host(simulator.port)
        host.send(Command.START)
        decoded = host.samples(expected.shape[0] + 100)
        host.close()
    counts = decoded.counts()
    assert (
        decoded.indices()[: expected.shape[0] + 100] == np.arange(expected.shape[0] + 100)
    ).all()
    assert np.array_equal(counts[: expected.shape[0]], expected)
    assert np.array_equal(counts[expected.shape[0] : expected.shape[0] + 100], expected[:100])
    assert expected[0].tolist() == [288, 49, 39, 41, 13, 44, 26, 50]
