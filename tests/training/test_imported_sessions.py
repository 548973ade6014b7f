"""Imported sessions as training data: any rate, physical units, stimulus events as labels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.recording import Batch
from microexp_tui.simulator.board import EmgSource
from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
from microexp_tui.simulator.signals import SignalConfig, SignalGenerator
from microexp_tui.store.sessions import SessionStore
from microexp_tui.training.dataset import LABELS, MODEL_RATE_HZ, UNLABELLED, cut_windows
from microexp_tui.training.sessions import fractional_block_means, load_sessions
from tests.anyrate.sessions import ENVELOPE_20HZ_MV, create_imported_session
from tests.store import seed_channels
from tests.training.test_session_loader import CYCLE_S, RATE_HZ, _markers

IMPORT_RATE_HZ = 250  # 12.5 samples per 20 Hz row: not a whole multiple
UV_PER_COUNT = 4882.8125  # 5 V / 1024 counts, in µV


def _import_session(db: Path, code: str, seed: int, gain: float) -> int:
    """A simulated 60 s recording stored as an imported float32 session in µV at 250 Hz."""
    participant = SimulatedParticipant(ParticipantConfig(micro_probability=0.0), (), seed, 0)
    source = EmgSource(
        SignalGenerator(SignalConfig("envelope", RATE_HZ, 8, seed, motion_artifacts_per_min=0.0)),
        participant,
    )
    markers = _markers()
    down = RATE_HZ // IMPORT_RATE_HZ
    channels = [replace(s, unit="uV", scale=1.0, physical_min=None, physical_max=None)
                for s in seed_channels()]  # fmt: skip
    with SessionStore.open(db) as store:
        person = store.create_participant(code=code)
        session = store.start_session(
            person.id, sample_rate_hz=IMPORT_RATE_HZ, channels=channels, device={},
            simulated=False, source="import", sample_format="float32",
        )  # fmt: skip
        for first in range(0, len(EMOTIONS) * CYCLE_S * RATE_HZ, RATE_HZ):
            for index, marker in [(i, c) for i, c in markers if first <= i < first + RATE_HZ]:
                participant.on_marker(marker, index / RATE_HZ)
            block = source.block(first, RATE_HZ).reshape(-1, down, 8).mean(axis=1)
            values = (block * UV_PER_COUNT * gain).astype(np.float32)
            batch = Batch(chunks=[(first // down, values)])
            due = [(i // down, c, "host") for i, c in markers if first <= i < first + RATE_HZ]
            batch.markers = due  # type: ignore[assignment]
            store.write_batch(session, batch)
        store.finish_session(session, "completed")
    return session


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two imported participants whose amplifiers differ by a factor of three."""
    db = tmp_path_factory.mktemp("imported") / "i.sqlite"
    _import_session(db, "P-IMP1", seed=3, gain=1.0)
    _import_session(db, "P-IMP2", seed=4, gain=3.0)
    return db


def test_fractional_block_means_average_the_samples_of_each_row() -> None:
    values = np.arange(50, dtype=np.float64)[:, None]
    first_row, rows = fractional_block_means(values, 0, 12.5)
    assert first_row == 0 and rows.shape == (4, 1)
    assert rows[:, 0].tolist() == [6.0, 18.5, 31.0, 43.5]  # samples 0-12, 13-24, 25-37, 38-49


def test_imported_sessions_load_in_microvolts_with_marker_labels(imported_db: Path) -> None:
    dataset = load_sessions(imported_db)
    assert dataset.participants == ["P-IMP1", "P-IMP2"]
    assert {c.unit for c in dataset.channels} == {"uV"}
    assert dataset.normalisation.method == "participant-standardise"
    recording = dataset.recordings[0]
    assert recording.calibration is None and 1100 < recording.rows.shape[0] <= 1200
    assert recording.source.startswith("import session")
    labelled = recording.labels[recording.labels != UNLABELLED]
    assert set(labelled.tolist()) == set(range(7))  # rest (neutral) and all six emotions
    windows = cut_windows(dataset, 10, 10)
    low, high = (np.median(np.abs(windows.x[windows.participant == p])) for p in (0, 1))
    assert high == pytest.approx(low, rel=0.5)  # the gain of 3 is standardised away
    raw = [np.median(r.rows) for r in dataset.recordings]
    assert raw[1] > 2 * raw[0]


def test_labelled_events_of_an_imported_session_label_its_rows(tmp_path: Path) -> None:
    """What `microexp import` stores (events with a condition and no product code) teaches:
    an emotion or neutral labels its block, another lab's trial type leaves it unlabelled."""
    spec = replace(
        ENVELOPE_20HZ_MV,
        duration_s=40.0,
        stimuli=((5.0, "happy", (0,)), (15.0, "neutral", ()), (25.0, "pull_stand", (1,))),
    )
    db = tmp_path / "labelled.sqlite"
    create_imported_session(db, spec)
    (recording,) = load_sessions(db).recordings
    assert spec.rate_hz == MODEL_RATE_HZ  # one row per sample: row r is sample r
    one_s_in = {
        onset: recording.labels[round((onset + 1.0) * spec.rate_hz)] for onset, _, _ in spec.stimuli
    }
    assert one_s_in == {5.0: LABELS.index("happy"), 15.0: LABELS.index("neutral"), 25.0: UNLABELLED}
    assert (recording.labels[: round(5.0 * spec.rate_hz)] == UNLABELLED).all()
