"""`microexp record --port <emulated board>`: firmware in simavr -> pty -> pyserial ->
acquisition pipeline -> SQLite, exactly as from a real Mega 2560."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from microexp_tui.device.protocol import Command, MarkerSource
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.protocols import for_session, load_protocol, marker_schedule
from tests.firmware import ROOT, Events, adc_counts, emulated_board, expected_ramp, marker_window

TRIGGER_TICKS = (300, 1234, 2500)
"""The harness pulses the trigger pin 62.5 us after these ticks of the stream."""

PROTOCOL = """
title = "firmware emulation test"
[[block]]
kind = "instruction"
text = "wait"
duration_s = 0.4
[[block]]
kind = "rest"
text = "relax"
duration_s = 0.3
[[block]]
kind = "stimulus"
emotion = "happy"
text = "a"
duration_s = 0.5
[[block]]
kind = "stimulus"
emotion = "fear"
text = "b"
duration_s = 0.5
"""


def write_rows(path: Path, rows: np.ndarray) -> None:
    """A --input file: one row of millivolts per sample set."""
    path.write_text("# mV per channel, one sample set per row\n")
    with path.open("a") as out:
        np.savetxt(out, rows, fmt="%d", delimiter=",")


def is_source(stored: str, source: MarkerSource) -> bool:
    """Whether a stored marker source names `source` (stored as text)."""
    return stored in (str(int(source)), source.name)


def test_recording_from_the_emulated_board_stores_exactly_what_was_injected(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 5001, size=(1000, 8))
    write_rows(tmp_path / "input.csv", rows)
    (tmp_path / "protocol.toml").write_text(PROTOCOL)
    events_path = tmp_path / "events.txt"
    db = tmp_path / "s.sqlite"
    args = [
        "--speed",
        "3",
        "--input",
        str(tmp_path / "input.csv"),
        "--trigger",
        ",".join(map(str, TRIGGER_TICKS)),
        "--events",
        str(events_path),
    ]
    with emulated_board(args) as board:
        summary = run_recording(
            port=board.port,
            simulate=False,
            database=db,
            duration_s=3.0,
            protocol_name=str(tmp_path / "protocol.toml"),
        )
    events = Events.read(events_path)

    assert summary.status == "completed", summary.error
    assert summary.simulated is False and summary.channels == 8
    assert summary.sample_rate_hz == 1000
    assert summary.samples_per_channel == 3000, "3 s of signal, however fast it came"
    counters = summary.counters
    for name in ("crc_errors", "sequence_gaps", "lost_samples", "malformed", "garbage_bytes"):
        assert counters[name] == 0, name
    assert counters["device_tx_overflows"] == 0 and counters["device_adc_overruns"] == 0
    assert counters["discarded_runs"] == 0 and counters["refused_commands"] == 0

    with SessionStore.open(db) as store:
        stored = store.read_samples(summary.session_id).values.astype(np.int64)
        markers = store.markers(summary.session_id)
        record = store.session(summary.session_id)
    assert record.device["board"] == "microexp-mega2560"
    assert record.device["firmware_version"] == "1.0.0"
    # every stored sample is the injected input: row k of the file for sample set k
    expected = np.vectorize(adc_counts)(rows[np.arange(stored.shape[0]) % rows.shape[0]])
    np.testing.assert_array_equal(stored, expected)
    # ... a prefix of what the chip sampled: the recorder stops reading before it sends
    # STOP, so frames still in the harness's and the pty's buffers are never stored
    assert len(events.ticks) == 1
    assert stored.shape[0] <= len(events.ticks[0])

    # trigger edges: a MARKER 0x0400 at the first sample set taken after each edge
    triggers = [m for m in markers if m.code == 0x0400]
    assert [m.sample_index for m in triggers] == [t + 1 for t in TRIGGER_TICKS]
    assert all(is_source(m.source, MarkerSource.TRIGGER) for m in triggers)
    ticks = np.array(events.ticks[0])
    rises = [cycle for cycle, level in events.trigger_edges if level == 1]
    assert [int(np.searchsorted(ticks, c)) for c in rises] == [m.sample_index for m in triggers]

    # protocol markers, sent by the host on its sample clock, echoed where the board applied them
    planned = marker_schedule(for_session(load_protocol(str(tmp_path / "protocol.toml")), 0))
    host_markers = [m for m in markers if is_source(m.source, MarkerSource.HOST)]
    assert [m.code for m in host_markers] == [p.code for p in planned]
    sent = [cycle for cycle, kind, _ in events.commands if kind == Command.MARKER]
    assert len(sent) == len(host_markers)
    for marker, cycle, plan in zip(host_markers, sent, planned, strict=True):
        earliest, latest = marker_window(events.ticks[0], cycle)
        assert earliest <= marker.sample_index <= latest
        assert marker.sample_index >= round(plan.onset_s * 1000)

    # the LED was on while streaming; closing the port reset the board
    assert events.led and events.led[0] == (events.led[0][0], 1)
    assert events.led[0][0] < ticks[0]
    assert events.resets and events.resets[-1] > ticks[-1]


def test_the_record_command_line_records_from_the_emulated_board(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    with emulated_board(["--speed", "3", "--signal", "ramp"]) as board:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "microexp_tui",
                "record",
                "--port",
                board.port,
                "--duration-s",
                "2",
                "--db",
                str(db),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert summary["samples_per_channel"] >= 2000
    assert summary["crc_errors"] == 0 and summary["sequence_gaps"] == 0
    with SessionStore.open(db) as store:
        stored = store.read_samples(summary["session_id"]).values.astype(np.int64)
    np.testing.assert_array_equal(stored, expected_ramp(np.arange(stored.shape[0]), 8))
