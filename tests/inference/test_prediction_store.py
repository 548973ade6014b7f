"""Predictions in SQLite: migration 3, live runs through batches, reprocess runs side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.recording import Batch, PredictionRecord
from microexp_tui.errors import InputError, StoreError
from microexp_tui.store import schema
from microexp_tui.store.database import connect
from microexp_tui.store.sessions import SessionStore
from tests.store import one_second, start_recording

CLASSES = ("neutral", "happy", "anger")
CARD = {"model_id": "m1", "note": "a card"}


def _record(model_id: str, index: int, label: str = "happy") -> PredictionRecord:
    probabilities = tuple(0.8 if c == label else 0.1 for c in CLASSES)
    return PredictionRecord(model_id, index, label, 0.4, probabilities)


def _run(store: SessionStore, session_id: int, model_id: str, **kwargs: object) -> None:
    store.start_prediction_run(
        session_id,
        model_id,
        kind=str(kwargs.pop("kind", "live")),
        classes=CLASSES,
        hop_ms=100.0,
        window_samples=500,
        model_card=CARD,
        **kwargs,  # type: ignore[arg-type]
    )


def test_live_predictions_arrive_in_batches_and_read_back(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        _run(store, session_id, "m1")
        batch = one_second(0)
        batch.predictions = [_record("m1", 500), _record("m1", 600, "anger")]
        store.write_batch(session_id, batch)
        store.finish_session(session_id, "completed")
        [run] = store.prediction_runs(session_id)
        stored = store.predictions(session_id, "m1")
    assert (run.model_id, run.kind, run.classes, run.predictions) == ("m1", "live", CLASSES, 2)
    assert run.model_card == CARD and run.window_samples == 500
    assert [(p.sample_index, p.label) for p in stored] == [(500, "happy"), (600, "anger")]
    assert stored[0].probabilities == pytest.approx((0.1, 0.8, 0.1))


def test_a_reprocess_run_sits_beside_the_live_one_and_replaces_only_on_request(
    tmp_path: Path,
) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        _run(store, session_id, "m1")
        store.write_batch(session_id, Batch(predictions=[_record("m1", 500)]))
        store.finish_session(session_id, "completed")
        _run(store, session_id, "m2", kind="reprocess", records=[_record("m2", 500, "anger")])
        assert [r.model_id for r in store.prediction_runs(session_id)] == ["m1", "m2"]
        assert store.predictions(session_id, "m1")[0].label == "happy"
        with pytest.raises(StoreError, match="already has reprocess predictions of model m2"):
            _run(store, session_id, "m2", kind="reprocess")
        _run(store, session_id, "m2", kind="reprocess", replace=True, records=[])
        assert store.predictions(session_id, "m2") == []
        store.add_predictions(session_id, "m2", [_record("m2", 700)])
        assert len(store.predictions(session_id, "m2")) == 1
        actions = [e["action"] for e in store.audit_entries(session_id)]
    assert actions.count("predictions.start") == 3 and "predictions.add" in actions


def test_invalid_predictions_are_refused_whole(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        _run(store, session_id, "m1")
        with pytest.raises(InputError, match="have no run"):
            store.write_batch(session_id, Batch(predictions=[_record("zz", 1)]))
        bad = PredictionRecord("m1", 1, "joy", 0.1, (1.0, 0.0, 0.0))
        with pytest.raises(InputError, match="label 'joy'"):
            store.write_batch(session_id, Batch(predictions=[_record("m1", 0), bad]))
        assert store.predictions(session_id, "m1") == []
        with pytest.raises(InputError, match="kind"):
            _run(store, session_id, "m3", kind="guess")
        with pytest.raises(StoreError, match="no prediction run of model m9"):
            store.add_predictions(session_id, "m9", [])


def test_a_version_2_database_gains_the_prediction_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = connect(path)
    schema.migrate(db, path, target_version=2)
    assert "predictions" not in db.table_names()
    db.close()
    with SessionStore.open(path) as store:
        assert {"prediction_runs", "predictions"} <= set(store.db.table_names())
        versions = [r[0] for r in store.db.execute("SELECT version FROM schema_version")]
    assert 3 in versions


def test_probabilities_are_stored_rounded_to_float32_as_numpy_rounds_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    values = [tuple(float(v) for v in rng.random(3) * 10.0 ** -int(e)) for e in range(0, 44, 2)]
    records = [
        PredictionRecord("m1", 500 + 100 * i, "happy", 0.4, v, v[::-1])
        for i, v in enumerate(values)
    ]
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.finish_session(session_id, "completed")
        _run(store, session_id, "m1", kind="reprocess", records=records)
        stored = store.predictions(session_id, "m1")
    expected = [tuple(np.asarray(v, np.float32).tolist()) for v in values]
    assert [p.probabilities for p in stored] == expected
    assert [p.raw_probabilities for p in stored] == [v[::-1] for v in expected]
    assert expected != values, "float64 inputs are rounded"
