"""The simulated legacy sketch prints the article's lines, and replays play at a stated rate."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from microexp_tui.errors import InputError
from microexp_tui.simulator import start_simulator_process
from microexp_tui.simulator.faults import Fault
from microexp_tui.simulator.legacy_sketch import (
    SKETCH_PERIOD_MS,
    LegacySketch,
    SketchConfig,
    line_fate,
)
from microexp_tui.simulator.options import add_simulator_options
from microexp_tui.simulator.replay import DEFAULT_REPLAY_RATE_HZ, ReplayData, load_replay
from microexp_tui.simulator.serve import build_board_config, build_sketch_config

HEADER = "timestamp,emotion_label,s1,s2,s3,s4,s5,s6,s7,s8,muscle_name\n"
SKETCH_LINE = re.compile(rb"(\d+)((?:,\d+){8})\r\n")
"""What the article's loop prints: millis, then eight `,value`, then println's CRLF."""


def replay_of(rows: int) -> ReplayData:
    """A replay whose row k reads k % 1000 and k // 1000 on its first two channels."""
    counts = np.zeros((rows, 8), dtype=np.uint16)
    counts[:, 0] = np.arange(rows) % 1000
    counts[:, 1] = np.arange(rows) // 1000
    return ReplayData(path=Path("rows.csv"), counts=counts)


def lines_of(sketch: LegacySketch, loops: int) -> list[bytes]:
    """The lines of the next loops, after a host opened the port."""
    sketch.host_opened()
    return [chunk.data for chunk in sketch.produce(loops)]


def test_lines_are_the_sketch_s_exact_text_at_its_period() -> None:
    sketch = LegacySketch(SketchConfig(replay=replay_of(50)))
    lines = lines_of(sketch, 50)
    assert len(lines) == 50
    for k, line in enumerate(lines):
        match = SKETCH_LINE.fullmatch(line)
        assert match is not None, line
        assert int(match[1]) == int(k * SKETCH_PERIOD_MS)
        assert match[2] == b"," + b",".join(
            b"%d" % v for v in [k % 1000, k // 1000, 0, 0, 0, 0, 0, 0]
        )
    assert sketch.sample_rate_hz == pytest.approx(1000 / 51)


def test_generated_envelopes_rest_near_the_seed_data_s_level() -> None:
    lines = lines_of(LegacySketch(SketchConfig(seed=2, motion_artifacts_per_min=0)), 100)
    values = np.array([[int(v) for v in line.split(b",")[1:]] for line in lines])
    assert values.shape == (100, 8)
    assert 0 < np.median(values) < 100  # resting envelopes, as in the seed data (mean ~32)


def test_dropped_lines_and_jitter_follow_the_seeded_fate_of_each_loop() -> None:
    config = SketchConfig(replay=replay_of(400), drop_probability=0.2, jitter_ms=12.0, seed=5)
    lines = lines_of(LegacySketch(config), 400)
    fates = [line_fate(config, 1, k) for k in range(400)]
    kept = [k for k, (dropped, _) in enumerate(fates) if not dropped]
    assert 40 < 400 - len(kept) < 120
    assert [int(line.split(b",")[1]) for line in lines] == [k % 1000 for k in kept]
    printed = [int(line.split(b",")[0]) for line in lines]
    assert printed == [int(k * SKETCH_PERIOD_MS + fates[k][1]) for k in kept]
    assert max(fate[1] for fate in fates) <= 12.0


def test_a_reopened_port_restarts_the_sketch_at_millis_zero() -> None:
    sketch = LegacySketch(SketchConfig(replay=replay_of(20), millis_start=7))
    first = lines_of(sketch, 10)
    sketch.reset()
    again = lines_of(sketch, 3)
    assert first[0].startswith(b"7,") and again[0].startswith(b"7,")
    assert sketch.stream_number == 2


def test_millis_wraps_at_2_to_the_32() -> None:
    sketch = LegacySketch(SketchConfig(replay=replay_of(10), millis_start=2**32 - 60))
    millis = [int(line.split(b",")[0]) for line in lines_of(sketch, 3)]
    assert millis == [2**32 - 60, 2**32 - 9, 42]


def test_faults_drop_garble_and_jump_lines() -> None:
    rate_hz = 1000 / SKETCH_PERIOD_MS
    faults = (
        Fault("drop", 10 / rate_hz, 3 / rate_hz),
        Fault("corrupt", 20 / rate_hz, 2 / rate_hz),
        Fault("millis_jump", 30 / rate_hz, 3600.0),
    )
    lines = lines_of(LegacySketch(SketchConfig(replay=replay_of(40), faults=faults)), 40)
    assert len(lines) == 37  # loops 10, 11 and 12 lost
    garbled = [line for line in lines if not SKETCH_LINE.fullmatch(line)]
    assert len(garbled) == 2 and all(line.endswith(b"\r\n") for line in garbled)
    millis = [int(line.split(b",")[0]) for line in lines if SKETCH_LINE.fullmatch(line)]
    assert millis[-1] == int(39 * SKETCH_PERIOD_MS) + 3_600_000
    assert millis[-11] == int(29 * SKETCH_PERIOD_MS)


def test_a_replay_that_stops_ends_the_lines() -> None:
    replay = ReplayData(path=Path("r.csv"), counts=replay_of(5).counts, end="stop")
    sketch = LegacySketch(SketchConfig(replay=replay))
    assert len(lines_of(sketch, 20)) == 5 and not sketch.streaming


def test_the_seed_files_have_no_clock_and_play_at_the_sketch_rate(seed_dir: Path) -> None:
    replay = load_replay(seed_dir / "subject_01.csv")
    assert replay.clock_rate_hz is None
    rate_hz, why = replay.rate_hz(None)
    assert rate_hz == DEFAULT_REPLAY_RATE_HZ == 20.0
    assert "2 distinct timestamps over 12000 rows" in why
    assert replay.rate_hz(19.5) == (19.5, "as requested (--replay-rate-hz)")


@pytest.mark.parametrize(
    ("stamps", "rate_hz"),
    [
        ([f"{1700000000 + k / 250:.4f}" for k in range(500)], 250.0),
        ([f"2025-05-18T10:00:{k * 0.05:06.3f}" for k in range(400)], 20.0),
    ],
)
def test_a_file_with_a_clock_plays_at_its_own_rate(
    tmp_path: Path, stamps: list[str], rate_hz: float
) -> None:
    path = tmp_path / "clocked.csv"
    rows = "".join(f"{t},happy,1,2,3,4,5,6,7,8,Zygomaticus Major\n" for t in stamps)
    path.write_text(HEADER + rows)
    replay = load_replay(path)
    assert replay.clock_rate_hz == pytest.approx(rate_hz, rel=1e-6)
    assert replay.rate_hz(None)[1].startswith("the file's own rate")


def test_timestamps_going_back_are_no_clock(tmp_path: Path) -> None:
    path = tmp_path / "back.csv"
    path.write_text(HEADER + "".join(f"{t},happy,1,2,3,4,5,6,7,8,x\n" for t in [3, 2, 1, 0]))
    assert load_replay(path).rate_hz(None)[0] == DEFAULT_REPLAY_RATE_HZ
    assert load_replay(path).clock_note == "its timestamps go backwards"


def simulator_args(*argv: str) -> argparse.Namespace:
    """The simulator's options parsed from `argv`."""
    parser = argparse.ArgumentParser()
    add_simulator_options(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--legacy", "--fast"], "--fast cannot be used with --legacy"),
        (["--legacy", "--rate-hz", "500"], "--rate-hz cannot be used with --legacy"),
        (["--legacy", "--mode", "raw"], "--mode raw cannot be used with --legacy"),
        (["--legacy", "--legacy-jitter-ms", "30"], "under half the period (25.5 ms)"),
        (["--legacy", "--legacy-drop", "1"], "--legacy-drop must be 0 or more and below 1"),
        (["--legacy", "--legacy-period-ms", "0.5"], "at least 1 ms"),
        (["--legacy-drop", "0.1"], "--legacy-drop apply to the article's sketch: add --legacy"),
        (["--replay-rate-hz", "20"], "add --replay"),
    ],
)
def test_options_the_sketch_cannot_honour_are_refused(argv: list[str], message: str) -> None:
    args = simulator_args(*argv)
    with pytest.raises(InputError, match=re.escape(message)):
        (build_sketch_config if args.legacy else build_board_config)(args)


def test_a_framed_replay_below_the_protocol_s_floor_points_at_legacy(
    seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(seed_dir / "subject_01.csv")
    with pytest.raises(InputError) as err:
        build_board_config(simulator_args("--replay", csv))
    assert "plays at 20 Hz" in str(err.value) and "add --legacy" in str(err.value)
    assert (
        build_board_config(simulator_args("--replay", csv, "--replay-rate-hz", "500")) is not None
    )
    sketch = build_sketch_config(simulator_args("--legacy", "--replay", csv))
    assert sketch.period_ms == 50.0
    assert "rows at 20 Hz, the default" in capsys.readouterr().err


def read_lines(port: str, seconds: float) -> list[bytes]:
    """Complete lines a pyserial host reads from `port` in `seconds` (then it closes)."""
    link = serial.Serial(port, 9600, timeout=0.05)
    deadline = time.monotonic() + seconds
    data = b""
    while time.monotonic() < deadline:
        data += link.read(4096)
    link.close()
    return [line + b"\n" for line in data.split(b"\n")[:-1]]


def test_on_a_pty_each_host_gets_the_sketch_from_its_reset_in_real_time() -> None:
    with start_simulator_process(["--legacy", "--seed", "3"]) as simulator:
        first = read_lines(simulator.port, 1.2)
        again = read_lines(simulator.port, 0.6)
    for lines in (first, again):
        millis = [int(SKETCH_LINE.fullmatch(line)[1]) for line in lines]  # type: ignore[index]
        assert millis[0] == 0 and set(np.diff(millis)) == {51}
    assert 10 <= len(first) <= 1.2 * 1000 / SKETCH_PERIOD_MS + 1  # paced, not a burst
