"""Simulator -> pseudo-terminal -> pyserial -> pipeline -> SQLite, end to end, with real parts."""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.acquisition.recorder import Recorder, RecordingOptions, record_for
from microexp_tui.acquisition.sources import FramedSource
from microexp_tui.device.protocol import (
    PROTOCOL_VERSION,
    BoardId,
    FrameType,
    Identity,
    encode_frame,
    identity_payload,
)
from microexp_tui.device.transport import BoardLink
from microexp_tui.errors import DeviceError, ProtocolError, StoreError
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.protocols import (
    for_session,
    load_protocol,
    marker_schedule,
    protocol_duration_s,
)
from tests.acquisition.helpers import pty_peer, read_seed_rows


def test_replayed_seed_rows_are_stored_exactly(tmp_path: Path, seed_dir: Path) -> None:
    csv = seed_dir / "subject_01.csv"
    db = tmp_path / "s.sqlite"
    with start_simulator_process(
        ["--replay", str(csv), "--replay-rate-hz", "1000", "--fast"]
    ) as sim:
        summary = run_recording(port=sim.port, simulate=False, database=db, duration_s=13.0)
    assert summary.status == "completed"
    assert summary.counters["crc_errors"] == 0
    assert summary.counters["sequence_gaps"] == 0
    assert summary.counters["lost_samples"] == 0
    assert summary.samples_per_channel == 13_000  # 13 s of signal: more than one pass
    with SessionStore.open(db) as store:
        stored = store.read_samples(summary.session_id).values
        record = store.session(summary.session_id)
    rows = read_seed_rows(csv)
    expected = rows[np.arange(stored.shape[0]) % rows.shape[0]]
    np.testing.assert_array_equal(stored.astype(np.int64), expected)
    assert record.status == "completed"
    assert record.simulated is True
    assert record.samples_per_channel == summary.samples_per_channel


def test_simulated_recording_reports_counters_and_montage(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--fast", "--seed", "3"]) as sim:
        summary = run_recording(
            port=sim.port, simulate=False, database=db, duration_s=1.5, participant_code="P-TEST01"
        )
    out = summary.as_json()
    for key in (
        "session_id",
        "status",
        "channels",
        "sample_rate_hz",
        "samples_per_channel",
        "frames",
        "crc_errors",
        "sequence_gaps",
        "lost_samples",
    ):
        assert key in out
    assert out["channels"] == 8 and out["sample_rate_hz"] == 1000
    assert out["frames"] >= out["samples_per_channel"] > 0
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
        samples = store.read_samples(summary.session_id).values
    assert record.participant_code == "P-TEST01"
    assert next(c.muscle for c in record.channels) == "Zygomaticus major"
    assert samples.shape == (summary.samples_per_channel, 8)
    assert samples.min() >= 0 and samples.max() <= 1023


def test_protocol_markers_land_at_or_after_their_scheduled_sample(tmp_path: Path) -> None:
    """No seed given: the session draws one, stores it, and the stored seed reproduces the
    order its markers were sent in."""
    db = tmp_path / "s.sqlite"
    demo = load_protocol("demo")
    with start_simulator_process(["--fast"]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            # the longest order of the protocol, and the fast board echoes seconds late
            duration_s=protocol_duration_s(demo) + 30.0,
            protocol_name="demo",
        )
    with SessionStore.open(db) as store:
        markers = store.markers(summary.session_id)
        setup = store.setup(summary.session_id)
    assert setup is not None and setup.protocol_seed is not None
    schedule = marker_schedule(for_session(load_protocol("demo"), setup.protocol_seed))
    assert summary.samples_per_channel > schedule[-1].onset_s * 1000, "fast sim covers protocol"
    assert [m.code for m in markers] == [s.code for s in schedule]
    for marker, planned in zip(markers, schedule, strict=True):
        assert marker.sample_index >= round(planned.onset_s * 1000)


def test_disconnect_is_survived_and_the_gap_recorded(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    link = tmp_path / "board"
    args = ["--link", str(link), "--fault", "disconnect@1.0:1.0"]
    with start_simulator_process(args) as sim:
        summary = run_recording(port=sim.port, simulate=False, database=db, duration_s=4.5)
    assert summary.status == "completed", summary.error
    assert summary.counters["disconnects"] >= 1
    assert summary.counters["reconnects"] >= 1
    with SessionStore.open(db) as store:
        gaps = store.gaps(summary.session_id)
        record = store.session(summary.session_id)
    assert gaps, "the time without the board is recorded as a gap"
    lost = sum(g.n_lost for g in gaps)
    assert 500 <= lost <= 3000  # about one second at 1 kHz, plus reconnect latency
    assert record.stored_samples + lost >= record.samples_per_channel - 1


def test_a_missing_port_lists_the_ports_that_exist(tmp_path: Path) -> None:
    with pytest.raises(DeviceError) as err:
        run_recording(
            port="/dev/ttyNOPE0", simulate=False, database=tmp_path / "s.sqlite", duration_s=1
        )
    message = str(err.value)
    assert "/dev/ttyNOPE0" in message and "does not exist" in message
    assert "Ports found" in message or "No serial ports" in message


def _silent(master: int, stop: threading.Event) -> None:
    """A board that swallows everything and never answers."""
    while not stop.is_set():
        if select.select([master], [], [], 0.05)[0]:
            try:
                os.read(master, 4096)
            except OSError:
                return


def test_a_board_that_never_answers_times_out_with_advice() -> None:
    with pty_peer(_silent) as path:
        link = BoardLink(path)
        with pytest.raises(DeviceError) as err:
            link.connect(handshake_timeout_s=0.6)
    assert "did not answer the handshake" in str(err.value)
    assert "--legacy" in str(err.value)


def _future_board(master: int, stop: threading.Event) -> None:
    """A board that answers HELLO with a protocol version this host does not know."""
    identity = Identity(
        protocol_version=PROTOCOL_VERSION + 8,
        firmware_version=(9, 0, 0),
        board_id=BoardId.MEGA2560,
        channel_count=8,
        sample_rate_hz=1000,
        adc_bits=10,
        adc_vref_mv=5000,
        sensor_kinds=(0,) * 8,
        board_name="future board",
    )
    frame = encode_frame(FrameType.IDENTITY, 0, identity_payload(identity))
    while not stop.is_set():
        if select.select([master], [], [], 0.05)[0]:
            try:
                os.read(master, 4096)
                os.write(master, frame)
            except OSError:
                return


def test_an_unknown_protocol_version_is_refused_by_name() -> None:
    with pty_peer(_future_board) as path, pytest.raises(ProtocolError) as err:
        BoardLink(path).connect(handshake_timeout_s=2.0)
    assert f"version {PROTOCOL_VERSION + 8}" in str(err.value)
    assert f"version {PROTOCOL_VERSION}" in str(err.value)


def _legacy_sketch(master: int, stop: threading.Event) -> None:
    """A sketch printing a line every millisecond (never faster than the host's clock), in bursts
    of 20, a garbled line every 100."""
    i = 0
    while not stop.is_set():
        lines = []
        for _ in range(20):
            lines.append(f"{i},{i % 1000},{i % 7},{i % 11},0,1,2,3,4\r\n")
            if i % 100 == 99:
                lines.append("12x,??\r\n")
            i += 1
        try:
            os.write(master, "".join(lines).encode())
        except OSError:
            return
        stop.wait(0.02)


def test_legacy_sketch_lines_are_recorded_and_flagged(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with pty_peer(_legacy_sketch) as path:
        summary = run_recording(port=path, simulate=False, database=db, duration_s=1.5, legacy=True)
    assert summary.legacy is True
    assert summary.counters["legacy_bad_lines"] >= 1
    with SessionStore.open(db) as store:
        samples = store.read_samples(summary.session_id).values.astype(np.int64)
        record = store.session(summary.session_id)
    assert samples.shape[0] > 300
    # consecutive lines, none lost or duplicated, garbled lines skipped
    assert set(np.diff(samples[:, 0]) % 1000) == {1}
    np.testing.assert_array_equal(samples[:, 1], (samples[:, 1][0] + np.arange(len(samples))) % 7)
    assert record.device["legacy"] is True


def test_an_unwritable_database_path_is_reported_before_recording(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        run_recording(
            port="/dev/null",
            simulate=False,
            database=tmp_path / "no" / "dir" / "s.sqlite",
            duration_s=1,
        )
    assert "--db" in str(err.value)


def test_a_full_disk_stops_cleanly_and_keeps_earlier_batches(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    store = SessionStore.open(db)
    with start_simulator_process(["--fast"]) as sim:
        recorder = Recorder(FramedSource(sim.port, 500_000), store, RecordingOptions())
        recorder.start()
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        # ~1.6 MB: a few batches (an unpaced stream fills them up to BATCH_MAX_BYTES)
        store.db.execute(f"PRAGMA max_page_count = {pages + 400}")
        summary = record_for(recorder, 300.0)  # 4.8 MB of samples: more than fits
    store.close()
    assert summary.status == "interrupted"
    assert summary.error is not None and "full" in summary.error.lower()
    with SessionStore.open(db) as reopened:
        record = reopened.session(summary.session_id)
        samples = reopened.read_samples(summary.session_id).values
    assert record.status == "interrupted"
    assert summary.samples_per_channel > 0
    assert samples.shape[0] == summary.samples_per_channel


def test_rate_and_channel_count_are_applied_before_recording(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--fast"]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=1.0,
            sample_rate_hz=500,
            channels=4,
        )
    assert (summary.sample_rate_hz, summary.channels) == (500, 4)
    assert summary.counters["crc_errors"] == 0 and summary.counters["lost_samples"] == 0
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
        samples = store.read_samples(summary.session_id).values
    assert (record.sample_rate_hz, record.channel_count) == (500, 4)
    assert samples.shape == (summary.samples_per_channel, 4) and samples.shape[0] > 0


def test_a_setting_beyond_the_adc_budget_is_refused_with_the_reason(tmp_path: Path) -> None:
    with start_simulator_process(["--fast"]) as sim, pytest.raises(DeviceError) as err:
        run_recording(
            port=sim.port,
            simulate=False,
            database=tmp_path / "s.sqlite",
            duration_s=1.0,
            sample_rate_hz=2000,
            channels=16,
        )
    message = str(err.value)
    assert "refused" in message and "ADC" in message
