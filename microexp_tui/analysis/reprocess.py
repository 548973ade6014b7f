"""Reprocess a stored session: re-filter its samples, classify them with a model, store the run.

The new predictions are stored beside the live ones as a `reprocess` run (one run per session
and model; the same model again needs `replace`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from microexp_tui.domain.recording import PredictionRecord
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.errors import StoreError
from microexp_tui.inference.evidence import DisplaySettings, replay
from microexp_tui.inference.fit import check_session_fit
from microexp_tui.inference.live import hop_samples_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.offline import classify_recording
from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class ReprocessResult:
    """What a reprocessing stored: how many predictions of each class, beside which runs."""

    session_id: int
    model_id: str
    predictions: int
    labels: dict[str, int]
    prediction_runs: list[str]

    def as_json(self) -> dict[str, Any]:
        """The result as a JSON-ready dict (field order kept)."""
        return asdict(self)


def redisplay_run(database: Path, session_id: int, model_id: str) -> list[tuple[float, ...]]:
    """A stored run's displayed probabilities recomputed from its stored raw ones.

    StoreError for a run stored before raw probabilities were kept. Equal, bit for bit, to
    the stored displayed probabilities: the display's state depends on the raw outputs only.
    """
    with SessionStore.open(database) as store:
        record = store.session(session_id)
        runs = {run.model_id: run for run in store.prediction_runs(session_id)}
        if model_id not in runs:
            raise StoreError(f"Session {session_id} has no predictions of model {model_id}.")
        run = runs[model_id]
        predictions = store.predictions(session_id, model_id)
    if predictions and not all(p.raw_probabilities for p in predictions):
        raise StoreError(
            f"The {model_id} predictions of session {session_id} were stored without their raw "
            "probabilities (before they were kept); reprocess the session to get both."
        )
    hop = run.display.get("hop_samples") or hop_samples_for(run.hop_ms, record.sample_rate_hz)
    return replay(
        run.classes,
        DisplaySettings.from_json(run.display),
        int(hop),
        [p.sample_index for p in predictions],
        [p.raw_probabilities for p in predictions],
    )


def reprocess_session(
    database: Path,
    session_id: int,
    model_path: Path,
    *,
    mains_hz: float,
    hop_ms: float,
    replace: bool = False,
) -> ReprocessResult:
    """Classify a finished session again with the model at `model_path` and store the run."""
    model = EmotionModel.load(model_path)
    with SessionStore.open(database) as store:
        record = store.session(session_id)
        if record.status == "recording":
            raise StoreError(f"Session {record.id} is still recording; reprocess it once finished.")
        check_session_fit(model.card, record.channels, record.source)
        run = classify_recording(
            store.sample_chunks(record.id),
            model=model,
            sample_rate_hz=float(record.sample_rate_hz),
            muscles=[spec.muscle for spec in record.channels],
            sensor_kinds=[spec.sensor_kind for spec in record.channels],
            mains_hz=mains_hz,
            hop_ms=hop_ms,
            working=WorkingUnits.of_session(record.channels, record.source, record.sample_format),
        )
        records = [
            PredictionRecord(
                model.model_id,
                p.sample_index,
                p.label,
                p.activation,
                p.probabilities,
                p.raw_probabilities,
            )
            for p in run.predictions
        ]
        store.start_prediction_run(
            record.id,
            model.model_id,
            kind="reprocess",
            classes=model.card.output_classes,
            hop_ms=run.hop_ms,
            window_samples=run.window_samples,
            model_card=model.card.raw,
            display=model.card.display.as_json(
                hop_samples_for(run.hop_ms, float(record.sample_rate_hz))
            ),
            replace=replace,
            records=records,
        )
        runs = [stored.model_id for stored in store.prediction_runs(record.id)]
    counts = Counter(p.label for p in run.predictions)
    return ReprocessResult(
        session_id=record.id,
        model_id=model.model_id,
        predictions=len(run.predictions),
        labels={label: counts.get(label, 0) for label in model.card.output_classes},
        prediction_runs=runs,
    )
