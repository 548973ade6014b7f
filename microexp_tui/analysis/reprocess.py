"""Reprocess a stored session: re-filter its samples, classify them and detect its expressions.

The new predictions are stored beside the live ones as a `reprocess` run (one run per session
and model; the same model again needs `replace`). The expressions, unless left out, are
detected as `microexp microexpressions` detects them (same detector, parameters and stored
rows) and replace the session's offline set. Each piece of the session is filtered once for
both when both use the same mains frequency (the filter chain is then the same), and the
detector works on a thread of its own while the model classifies.
"""

from __future__ import annotations

from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.analysis.microexpressions import (
    OfflineDetection,
    piece_samples,
    session_detection,
)
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.recording import PredictionRecord
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.errors import InputError, StoreError
from microexp_tui.inference.evidence import DisplaySettings, replay
from microexp_tui.inference.fit import check_session_fit
from microexp_tui.inference.live import hop_samples_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.offline import MAX_CHUNK_S, classify_recording
from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class ReprocessResult:
    """What a reprocessing stored: how many predictions of each class, beside which runs."""

    session_id: int
    model_id: str
    predictions: int
    labels: dict[str, int]
    prediction_runs: list[str]
    expressions: dict[str, int] | None = None
    """How many expressions were stored as the offline set (all, micro, macro); None: none
    were detected (left out, or `expressions_skipped` says why)."""
    expressions_skipped: str | None = None

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
    expressions: bool = True,
    detection_mains_hz: float | None = None,
) -> ReprocessResult:
    """Classify a finished session again with the model at `model_path` and store the run.

    With `expressions`, also detect the session's expressions offline (`detection_mains_hz`
    None: the session's mains frequency, as `microexp microexpressions` without --mains-hz)
    and store them as its offline set; a session detection cannot analyse is classified
    only, the result saying why.
    """
    model = EmotionModel.load(model_path)
    with SessionStore.open(database) as store:
        record = store.session(session_id)
        if record.status == "recording":
            raise StoreError(f"Session {record.id} is still recording; reprocess it once finished.")
        check_session_fit(model.card, record.channels, record.source)
        skipped = None
        detection = None
        if expressions:
            try:
                detection = session_detection(store, record, mains_hz=detection_mains_hz)
            except InputError as error:
                skipped = str(error)
        with _DetectionThread(detection, record, mains_hz) as background:
            run = classify_recording(
                store.sample_chunks(record.id),
                model=model,
                sample_rate_hz=float(record.sample_rate_hz),
                muscles=[spec.muscle for spec in record.channels],
                sensor_kinds=[spec.sensor_kind for spec in record.channels],
                mains_hz=mains_hz,
                hop_ms=hop_ms,
                working=WorkingUnits.of_session(
                    record.channels, record.source, record.sample_format
                ),
                tap=background.push if detection is not None else None,
            )
            found = background.finish()
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
        if found is not None:
            store.save_expressions(record.id, found[0], "offline", found[1])
        runs = [stored.model_id for stored in store.prediction_runs(record.id)]
    counts = Counter(p.label for p in run.predictions)
    return ReprocessResult(
        session_id=record.id,
        model_id=model.model_id,
        predictions=len(run.predictions),
        labels={label: counts.get(label, 0) for label in model.card.output_classes},
        prediction_runs=runs,
        expressions=None if found is None else expression_counts(found[0]),
        expressions_skipped=skipped,
    )


def expression_counts(found: list[Expression]) -> dict[str, int]:
    """How many expressions, and how many of them micro and macro."""
    kinds = Counter(x.kind for x in found)
    return {"expressions": len(found), "micro": kinds["micro"], "macro": kinds["macro"]}


DETECTION_BACKLOG_PIECES = 2
"""Filtered pieces that may wait for the detection thread before the filtering waits."""


class _DetectionThread:
    """Offline detection of the pieces `classify_recording` filters, in order, on one thread.

    The pieces' envelopes are the detection's own when it filters with the same mains
    frequency, rate and units (then each piece is filtered once); else it filters them itself.
    """

    def __init__(
        self, detection: OfflineDetection | None, record: SessionRecord, mains_hz: float
    ) -> None:
        """Share the envelope when the detection's filter chain is the classification's."""
        self.detection = detection
        self.shared = detection is not None and (
            detection.mains_hz == mains_hz
            and piece_samples(record) == int(MAX_CHUNK_S * record.sample_rate_hz)
        )
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="detection")
        self._pending: deque[Future[None]] = deque()

    def push(self, first: int, counts: np.ndarray, envelope: np.ndarray) -> None:
        """Queue a filtered piece for detection (waiting while the backlog is full)."""
        assert self.detection is not None
        while len(self._pending) >= DETECTION_BACKLOG_PIECES:
            self._pending.popleft().result()
        shared = envelope if self.shared else None
        self._pending.append(self._pool.submit(self.detection.push, first, counts, shared))

    def finish(self) -> tuple[list[Expression], dict[str, Any]] | None:
        """The expressions and detector parameters once every piece is done (None: no detection)."""
        while self._pending:
            self._pending.popleft().result()
        return None if self.detection is None else self.detection.finish()

    def __enter__(self) -> _DetectionThread:
        """The thread, stopped on leaving."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the thread (after the piece it is on)."""
        for pending in self._pending:
            pending.cancel()
        self._pool.shutdown()
