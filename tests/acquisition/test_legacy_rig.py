"""`record --legacy` end to end: `simulate --legacy` on a real pty, pyserial, the recorder, SQLite.

The simulated sketch prints the article's `millis,v1,...,v8` lines at its own timing; the
host takes its millis as the clock. Replayed rows carry their own loop number, so every
stored sample can be traced to the line that carried it and every gap to the lines lost.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from microexp_tui.acquisition.options import RecordingSummary
from microexp_tui.acquisition.sources import LegacySource
from microexp_tui.cli import main
from microexp_tui.domain.recording import GapRecord, StoredSamples
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.errors import DeviceError
from microexp_tui.export import export_sessions
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.settings import CONFIG_FILE_ENV
from microexp_tui.simulator.legacy_sketch import SKETCH_PERIOD_MS, SketchConfig, line_fate
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from tests.acquisition.helpers import pty_peer

HEADER = "timestamp,emotion_label,s1,s2,s3,s4,s5,s6,s7,s8,muscle_name\n"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Recorded:
    """What a legacy recording left: its summary, samples, session row, gaps and audit rows."""

    summary: RecordingSummary
    samples: StoredSamples
    record: SessionRecord
    gaps: list[GapRecord]
    audit: list[dict[str, object]]


def record_legacy_sim(tmp_path: Path, sim_args: list[str], duration_s: float) -> Recorded:
    """Record `duration_s` from `simulate --legacy SIM_ARGS` and read back what was stored."""
    db = tmp_path / "legacy.sqlite"
    with start_simulator_process(["--legacy", *sim_args]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=duration_s,
            legacy=True,
            participant_code="P-LEG01",
        )
    with SessionStore.open(db) as store:
        return Recorded(
            summary,
            store.read_samples(summary.session_id),
            store.session(summary.session_id),
            store.gaps(summary.session_id),
            store.audit_entries(summary.session_id),
        )


def numbered_rows(path: Path, rows: int) -> Path:
    """A seed-format replay file whose row k reads k % 1000 on s1 and k // 1000 on s2."""
    lines = (
        f"1747580202,happy,{k % 1000},{k // 1000},{k % 7},0,0,0,0,{k % 11},Zygomaticus Major\n"
        for k in range(rows)
    )
    path.write_text(HEADER + "".join(lines))
    return path


def test_the_sketch_s_measured_rate_is_stored_and_exported_as_nominal(tmp_path: Path) -> None:
    done = record_legacy_sim(tmp_path, ["--seed", "4"], duration_s=4.0)
    simulated_hz = 1000 / SKETCH_PERIOD_MS
    assert done.summary.status == "completed" and done.summary.legacy
    assert done.summary.sample_rate_hz == pytest.approx(simulated_hz, rel=0.005)
    assert done.record.sample_rate_hz == done.summary.sample_rate_hz
    assert done.record.device["clock"] == "board millis, rate measured"
    assert done.summary.counters["lost_samples"] == 0
    assert done.summary.counters["clock_resyncs"] == 0
    assert done.samples.values.shape[0] >= 60 and not done.samples.missing.any()
    report = export_sessions(tmp_path / "legacy.sqlite", tmp_path / "out", None, "bids", None)
    (edf_path,) = report.out_dir.rglob("*_emg.edf")
    with pyedflib.EdfReader(str(edf_path)) as reader:
        assert reader.getSampleFrequency(0) == pytest.approx(done.record.sample_rate_hz)
    (sidecar,) = report.out_dir.rglob("*_emg.json")
    assert json.loads(sidecar.read_text())["SamplingFrequency"] == done.record.sample_rate_hz


def test_replayed_rows_are_stored_exactly_and_lost_lines_are_gaps_where_they_were(
    tmp_path: Path,
) -> None:
    replay = numbered_rows(tmp_path / "rows.csv", 5000)
    sim_args = ["--replay", str(replay), "--replay-rate-hz", "50", "--seed", "7"]
    sim_args += ["--legacy-drop", "0.1", "--legacy-jitter-ms", "8"]
    done = record_legacy_sim(tmp_path, sim_args, duration_s=4.0)
    values, missing = done.samples.values.astype(np.int64), done.samples.missing.any(axis=1)
    first_loop = int(values[0, 0] + 1000 * values[0, 1])
    loops = first_loop + np.arange(len(values))
    sketch = SketchConfig(seed=7, drop_probability=0.1, jitter_ms=8.0)
    dropped = np.array([line_fate(sketch, 1, int(k))[0] for k in loops])
    np.testing.assert_array_equal(missing, dropped)
    kept = loops[~missing]
    np.testing.assert_array_equal(values[~missing, 0], kept % 1000)
    np.testing.assert_array_equal(values[~missing, 1], kept // 1000)
    np.testing.assert_array_equal(values[~missing, 2], kept % 7)
    np.testing.assert_array_equal(values[~missing, 7], kept % 11)
    runs = np.flatnonzero(np.diff(np.concatenate(([0], missing.view(np.int8), [0]))))
    expected_gaps = [
        GapRecord(int(a), int(b - a)) for a, b in zip(runs[::2], runs[1::2], strict=True)
    ]
    assert done.gaps == expected_gaps and len(expected_gaps) >= 5
    assert done.summary.counters["lost_samples"] == int(missing.sum())
    assert done.summary.counters["sequence_gaps"] == len(expected_gaps)
    assert done.summary.counters["clock_resyncs"] == 0
    assert done.record.sample_rate_hz == pytest.approx(50.0, rel=0.005)


def test_a_millis_jump_the_host_time_cannot_explain_is_a_counted_resync(tmp_path: Path) -> None:
    replay = numbered_rows(tmp_path / "rows.csv", 5000)
    sim_args = ["--replay", str(replay), "--replay-rate-hz", "25", "--fault", "millis_jump@1.5"]
    done = record_legacy_sim(tmp_path, sim_args, duration_s=3.5)
    assert done.summary.counters["clock_resyncs"] == 1
    # the resynced line is placed by the host time since the line before it: one period,
    # or a few more if the host was slow to read just then, never an hour (90,000 samples)
    lost = done.summary.counters["lost_samples"]
    assert lost <= 5 and done.samples.values.shape[0] < 100
    stored = ~done.samples.missing.any(axis=1)
    values = done.samples.values[stored].astype(np.int64)
    loops = values[:, 0] + 1000 * values[:, 1]
    np.testing.assert_array_equal(np.diff(loops), 1)  # every line kept, in order
    assert done.record.sample_rate_hz == pytest.approx(25.0, rel=0.005)


def test_millis_wrapping_during_a_recording_costs_nothing(tmp_path: Path) -> None:
    sim_args = ["--legacy-millis-start", str(2**32 - 1200), "--legacy-period-ms", "20"]
    done = record_legacy_sim(tmp_path, sim_args, duration_s=3.0)
    counters = done.summary.counters
    assert (counters["clock_resyncs"], counters["lost_samples"]) == (0, 0)
    assert done.samples.values.shape[0] > 1200 / 20  # recorded across the wrap
    assert done.record.sample_rate_hz == pytest.approx(50.0, rel=0.005)


def test_garbled_lines_are_counted_and_leave_their_sample_missing(tmp_path: Path) -> None:
    replay = numbered_rows(tmp_path / "rows.csv", 5000)
    sim_args = ["--replay", str(replay), "--fault", "corrupt@1.5:0.5"]
    done = record_legacy_sim(tmp_path, sim_args, duration_s=3.0)
    garbled = done.summary.counters["legacy_bad_lines"]
    assert garbled == 10  # 0.5 s of lines at 20 Hz
    assert done.summary.counters["lost_samples"] == garbled
    missing = done.samples.missing.any(axis=1)
    values = done.samples.values.astype(np.int64)
    first_loop = int(values[0, 0] + 1000 * values[0, 1])
    assert np.flatnonzero(missing).tolist() == [k - first_loop for k in range(30, 40)]


def _sketch_watching_the_baud(seen: list[int]) -> object:
    """A pty peer printing sketch lines in real time and noting the speed the host set."""

    def serve(master: int, stop: threading.Event) -> None:
        loop = 0
        while not stop.wait(0.02):
            seen.append(termios.tcgetattr(master)[5])
            try:
                os.write(master, f"{loop * 20},{loop % 1000},2,3,4\r\n".encode())
            except OSError:
                return
            loop += 1

    return serve


@pytest.mark.parametrize(("baud", "speed"), [(None, termios.B9600), (115200, termios.B115200)])
def test_the_baud_rate_is_honoured_and_the_channel_count_learnt(
    tmp_path: Path, baud: int | None, speed: int
) -> None:
    seen: list[int] = []
    with pty_peer(_sketch_watching_the_baud(seen)) as path:  # type: ignore[arg-type]
        summary = run_recording(
            port=path,
            simulate=False,
            database=tmp_path / "s.sqlite",
            duration_s=1.0,
            legacy=True,
            baud=baud,
        )
    assert speed in seen
    assert summary.channels == 4
    assert summary.sample_rate_hz == pytest.approx(50.0, rel=0.05)


def _chatter(master: int, stop: threading.Event) -> None:
    """A board that prints something other than the sketch's lines."""
    while not stop.wait(0.05):
        try:
            os.write(master, b"READY>\r\n")
            if select.select([master], [], [], 0)[0]:
                os.read(master, 4096)
        except OSError:
            return


def test_a_port_without_sketch_lines_is_refused_with_what_to_check() -> None:
    with pty_peer(_chatter) as path:
        source = LegacySource(path, first_lines_timeout_s=0.5)
        with pytest.raises(DeviceError) as err:
            source.open()
    message = str(err.value)
    assert path in message and "9600 baud" in message and "'READY>\\r'" in message
    assert "--baud" in message and "without --legacy" in message


def _record_command(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`microexp record OPTIONS --db ... --json` as an operator runs it."""
    settings, db = tmp_path / "settings.toml", tmp_path / "s.sqlite"
    settings.write_text("")
    return subprocess.run(
        [sys.executable, "-m", "microexp_tui", "record", *options, "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, CONFIG_FILE_ENV: str(settings)},
        timeout=120,
    )


def test_record_legacy_simulate_from_the_command_line(tmp_path: Path) -> None:
    done = _record_command(tmp_path, "--simulate", "--legacy", "--duration-s", "3")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["legacy"] is True and out["simulated"] is True and out["channels"] == 8
    assert out["sample_rate_hz"] == pytest.approx(1000 / SKETCH_PERIOD_MS, rel=0.005)


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (["--rate-hz", "500"], "--rate-hz cannot be used with --legacy"),
        (["--channels", "17"], "a sketch line carries 1..16 values"),
    ],
)
def test_record_legacy_refuses_what_the_sketch_cannot_do_as_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], reason: str
) -> None:
    db = tmp_path / "s.sqlite"
    argv = ["record", "--simulate", "--legacy", *option, "--duration-s", "1", "--db", str(db)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert reason in captured.err and captured.out == ""
    assert not db.exists()


def test_an_unplugged_sketch_is_reread_and_the_time_away_is_a_gap(tmp_path: Path) -> None:
    replay = numbered_rows(tmp_path / "rows.csv", 5000)
    link = tmp_path / "board"
    sim_args = ["--replay", str(replay), "--link", str(link), "--fault", "disconnect@1.5:1.0"]
    done = record_legacy_sim(tmp_path, sim_args, duration_s=5.0)
    assert done.summary.status == "completed", done.summary.error
    assert done.summary.counters["reconnects"] == 1
    (gap,) = done.gaps
    assert 0.9 * 20 <= gap.n_lost <= 3.0 * 20  # a second away, plus reopening the port
    resumed_at = gap.first_missing_index + gap.n_lost
    missing = done.samples.missing.any(axis=1)
    assert np.flatnonzero(missing).tolist() == list(range(gap.first_missing_index, resumed_at))
    values = done.samples.values.astype(np.int64)
    loops = values[:, 0] + 1000 * values[:, 1]
    before, after = loops[: gap.first_missing_index], loops[resumed_at:]
    np.testing.assert_array_equal(np.diff(before), 1)
    np.testing.assert_array_equal(after, np.arange(len(after)))  # the sketch restarted
    assert done.record.sample_rate_hz == pytest.approx(20.0, rel=0.005)
