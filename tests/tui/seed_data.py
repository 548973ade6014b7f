"""A seeded session database for the screenshots: fixed codes, times, signals and results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.expressions import Activation
from microexp_tui.domain.markers import (
    MARKER_OPERATOR_BASE,
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.domain.sessions import ProtocolProgress
from microexp_tui.expressions.grouping import group_activations
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.montages import load_preset, montage_for_board

RATE_HZ = 250
SECONDS = 12
CHANNELS = 8
BURSTS = (  # (channel, start_s, stop_s, level_counts)
    (0, 3.0, 5.0, 320.0),
    (7, 3.2, 4.8, 260.0),
    (2, 8.0, 8.25, 220.0),
    (1, 9.0, 11.0, 300.0),
    (6, 9.3, 10.6, 240.0),
)
DEVICE = {"board": "microexp simulator", "firmware_version": "1.0.0", "port": "/dev/pts/7"}


@dataclass(frozen=True)
class Seeded:
    """Ids of the seeded rows the tests look at."""

    completed: int
    interrupted: int
    aborted: int


def synthetic_counts(seed: int = 5) -> np.ndarray:
    """(samples, channels) envelope-sensor counts: rest noise plus a few smooth bursts."""
    rng = np.random.default_rng(seed)
    n = RATE_HZ * SECONDS
    counts = 30.0 + rng.normal(0.0, 4.0, size=(n, CHANNELS))
    t_s = np.arange(n) / RATE_HZ
    for channel, start_s, stop_s, level in BURSTS:
        inside = (t_s >= start_s) & (t_s < stop_s)
        phase = (t_s[inside] - start_s) / (stop_s - start_s)
        counts[inside, channel] += level * np.sin(np.pi * phase) ** 0.5
    return np.clip(np.round(counts), 0, 1023).astype(np.int16)


def _marker(index: int, code: int, label: str) -> MarkerRecord:
    """A stored marker row."""
    return MarkerRecord(index, code, "board", label, 0.0)


def _completed_session(store: SessionStore, participant_id: int) -> int:
    """The completed, simulated demo session with signals, checks, calibration and notes."""
    montage = montage_for_board(load_preset("seed8"), CHANNELS)
    session_id = store.start_session(
        participant_id,
        sample_rate_hz=RATE_HZ,
        channels=montage,
        device=DEVICE,
        simulated=True,
        protocol="demo",
        operator="snap",
    )
    markers: list[MarkerRecord | tuple[Any, ...]] = [
        _marker(500, MARKER_REST_ONSET, "rest onset"),
        _marker(750, stimulus_onset_code("happy"), "stimulus onset: happy"),
        _marker(1250, MARKER_STIMULUS_OFFSET, "stimulus offset"),
        _marker(1500, MARKER_OPERATOR_BASE + 1, "operator marker 1"),
        _marker(2250, stimulus_onset_code("surprise"), "stimulus onset: surprise"),
        _marker(2750, MARKER_STIMULUS_OFFSET, "stimulus offset"),
    ]
    counters = {"frames": RATE_HZ * SECONDS, "crc_errors": 0, "reconnects": 0}
    batch = Batch(chunks=[(0, synthetic_counts())], markers=markers, counters=counters)
    store.write_batch(session_id, batch)
    store.finish_session(session_id, "completed")
    _completed_extras(store, session_id)
    return session_id


def _completed_extras(store: SessionStore, session_id: int) -> None:
    """Checks, calibration, progress, events, an override and a note of the completed session."""
    checks = [
        ElectrodeCheck(ch, "green", 30.0, 4.1, 0.02, 0.0, False, 250.0, True, "", 0, 250)
        for ch in range(CHANNELS)
    ]
    checks[3] = ElectrodeCheck(
        3, "amber", 31.0, 44.0, 0.05, 0.0, False, 180.0, True, "noise 44", 0, 250
    )
    checks[5] = ElectrodeCheck(
        5, "red", 0.0, 0.0, 0.0, 0.0, True, 2.0, False, "flat line: electrode off", 0, 250
    )
    store.save_electrode_checks(session_id, checks, "snap")
    store.add_override(session_id, "electrode_check", "channel 6", "gel refreshed", "snap")
    rows = [
        ChannelCalibration(
            ch, 2.0, 1.5 if ch != 5 else 30.0, 300.0 - 10 * ch, ch != 5, 0, 250, 300, 800
        )
        for ch in range(CHANNELS)
    ]
    store.save_calibration(session_id, rows, "snap")
    store.set_progress(session_id, ProtocolProgress("demo", 8, 8, 500, "completed"))
    activations = [
        Activation(
            channel,
            round(start * RATE_HZ),
            round(stop * RATE_HZ),
            round((start + stop) / 2 * RATE_HZ),
            level,
            100 * level / 600,
        )
        for channel, start, stop, level in BURSTS
    ]
    units = [spec.action_units for spec in montage_for_board(load_preset("seed8"), CHANNELS)]
    expressions = group_activations(activations, RATE_HZ, units)
    store.save_expressions(session_id, expressions, "live")
    store.add_note(session_id, "Participant calm; electrode 6 re-gelled.", "snap")


def _short_session(store: SessionStore, participant_id: int, status: str, simulated: bool) -> int:
    """A short session that ended `status` (its protocol stopped at block 3 of 8)."""
    montage = montage_for_board(load_preset("seed8"), CHANNELS)
    session_id = store.start_session(
        participant_id,
        sample_rate_hz=RATE_HZ,
        channels=montage,
        device=DEVICE,
        simulated=simulated,
        protocol="six_emotions",
    )
    counts = synthetic_counts(seed=9)[: RATE_HZ * 4]
    store.write_batch(session_id, Batch(chunks=[(0, counts)]))
    store.finish_session(session_id, status)
    progress = ProtocolProgress("six_emotions", 24, 3, 0, "paused")
    store.set_progress(session_id, progress)
    return session_id


def _fix_times(store: SessionStore) -> None:
    """Replace every clock reading shown on screen with fixed times."""
    db = store.db  # test fixture: rewrite timestamps directly, as no store method would
    db.execute(
        "UPDATE sessions SET started_at = '2026-03-0' || id || 'T09:15:00.000+00:00', "
        "ended_at = '2026-03-0' || id || 'T09:30:00.000+00:00', heartbeat_at = NULL"
    )
    db.execute("UPDATE participants SET created_at = '2026-03-01T08:00:00.000+00:00'")
    db.execute("UPDATE session_notes SET at = '2026-03-01T09:31:00.000+00:00'")
    db.execute("UPDATE operator_overrides SET at = '2026-03-01T09:20:00.000+00:00'")


def seed_database(path: Path) -> Seeded:
    """Create the seeded database at `path`."""
    with SessionStore.open(path) as store:
        alpha = store.create_participant(
            code="P-ALPHA1", birth_year=1990, sex="female", handedness="right", name="Ada Example"
        )
        bravo = store.create_participant(
            code="P-BRAVO2", birth_year=1985, sex="male", handedness="left"
        )
        seeded = Seeded(
            completed=_completed_session(store, alpha.id),
            interrupted=_short_session(store, bravo.id, "interrupted", True),
            aborted=_short_session(store, alpha.id, "aborted", False),
        )
        _fix_times(store)
    return seeded
