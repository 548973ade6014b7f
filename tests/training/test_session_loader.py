"""Sessions recorded by this program as training data: live filters, block means, marker labels.

The session is made from the simulator's own participant and signal generator (envelope mode,
1 kHz) and stored through the real SessionStore, with the markers a stimulus protocol would
leave: rest, then stimulus onset and offset for each emotion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.cli import main
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.domain.recording import Batch
from microexp_tui.inference.model import EmotionModel
from microexp_tui.simulator.board import EmgSource
from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
from microexp_tui.simulator.signals import SignalConfig, SignalGenerator
from microexp_tui.store.sessions import SessionStore
from microexp_tui.training.commands import TrainOptions, train
from microexp_tui.training.dataset import LABELS, UNLABELLED, cut_windows
from microexp_tui.training.progress import Progress
from microexp_tui.training.sessions import load_sessions
from tests.inference.conftest import MODELS_DIR
from tests.store import seed_channels

RATE_HZ = 1000
CYCLE_S = 10  # 4 s rest, then a 6 s stimulus


def _markers() -> list[tuple[int, int]]:
    """(sample index, code): rest onset, stimulus onset, stimulus offset for each emotion."""
    out = []
    for k, emotion in enumerate(EMOTIONS):
        start = k * CYCLE_S * RATE_HZ
        out += [(start, MARKER_REST_ONSET), (start + 4000, stimulus_onset_code(emotion))]
        out.append((start + 10_000, MARKER_STIMULUS_OFFSET))
    return out


def _record_session(db: Path, code: str, seed: int) -> int:
    """Store a simulated 60 s session whose participant reacts to each stimulus marker."""
    participant = SimulatedParticipant(ParticipantConfig(micro_probability=0.0), (), seed, 0)
    config = SignalConfig("envelope", RATE_HZ, 8, seed, motion_artifacts_per_min=0.0)
    source = EmgSource(SignalGenerator(config), participant)
    markers = _markers()
    with SessionStore.open(db) as store:
        person = store.create_participant(code=code)
        session_id = store.start_session(
            person.id, sample_rate_hz=RATE_HZ, channels=seed_channels(), device={}, simulated=True
        )
        for first in range(0, len(EMOTIONS) * CYCLE_S * RATE_HZ, RATE_HZ):
            due = [(i, c) for i, c in markers if first <= i < first + RATE_HZ]
            for index, marker in due:
                participant.on_marker(marker, index / RATE_HZ)
            batch = Batch(chunks=[(first, source.block(first, RATE_HZ).astype(np.int16))])
            batch.markers = [(i, c, "host") for i, c in due]
            store.write_batch(session_id, batch)
        store.finish_session(session_id, "completed")
    return session_id


@pytest.fixture(scope="module")
def session_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with two simulated participants' sessions."""
    db = tmp_path_factory.mktemp("sessions") / "s.sqlite"
    _record_session(db, "P-SIM1", seed=3)
    _record_session(db, "P-SIM2", seed=4)
    return db


def test_rows_are_labelled_by_the_markers(session_db: Path) -> None:
    dataset = load_sessions(session_db)
    assert dataset.kind == "sessions" and dataset.participants == ["P-SIM1", "P-SIM2"]
    recording = dataset.recordings[0]
    assert recording.rows.shape == (60 * 20, 8)  # 1 kHz block-averaged to 20 Hz rows
    labels = recording.labels
    for k, emotion in enumerate(EMOTIONS):
        rest, stimulus = slice(k * 200, k * 200 + 80), slice(k * 200 + 80, k * 200 + 200)
        assert set(labels[rest].tolist()) == {0}
        assert set(labels[stimulus].tolist()) == {LABELS.index(emotion)}
    assert UNLABELLED not in labels.tolist()  # every marker falls on a row boundary here
    assert recording.calibration is not None and recording.calibration.channels[0].span > 10


def test_stimulus_windows_without_a_reaction_are_left_out(session_db: Path) -> None:
    dataset = load_sessions(session_db, [1])
    every = cut_windows(dataset, 10, 10)
    active = cut_windows(dataset, 10, 10, drop_inactive=True)
    assert (every.y == 0).sum() == (active.y == 0).sum() == 6 * 8  # rest windows all kept
    assert 0 < (active.y > 0).sum() < (every.y > 0).sum()  # latency and after-reaction dropped


def test_the_shipped_model_recognises_recorded_sessions(
    session_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    model = str(MODELS_DIR / "cnn_window.onnx")
    assert main(["evaluate", "--model", model, "--dataset", str(session_db)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"]["kind"] == "sessions"
    assert report["metrics"]["per_class"]["neutral"]["recall"] >= 0.95
    assert report["metrics"]["accuracy"] >= 0.9


@pytest.mark.usefixtures("train_extra")
def test_a_model_trains_on_recorded_sessions(session_db: Path, tmp_path: Path) -> None:
    options = TrainOptions(
        dataset=session_db, architecture="cnn", input_mode="window", protocol="loso",
        out=tmp_path, epochs=3, stride_rows=5,
    )  # fmt: skip
    report = train(options, Progress(enabled=False))
    assert list(report["per_participant"]) == ["P-SIM1", "P-SIM2"]
    assert report["metrics"]["accuracy"] > 0.5
    model = EmotionModel.load(tmp_path / "cnn_window.onnx")
    assert model.card.raw["training"]["data_kind"] == "sessions"
