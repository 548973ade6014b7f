"""Offline micro-expression analysis of a stored session, with the live detector.

The stored values are re-filtered with the recording's filter chain (same mains frequency
when the session's settings recorded one), artifact-flagged, and passed in large pieces
through the same `ExpressionDetector` a live recording uses, with the session's montage
(action units per channel) and calibration (rest and maximal contraction per channel, when
the session has one). A board session is analysed in its ADC counts with the artifact flags
it recorded; an imported one in each channel's physical unit at its own rate, flagged here
from each channel's input range (`dsp.units`, `StreamingArtifactDetector.for_imported`).
The result replaces the session's previous offline set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.domain.calibration import Calibration, DetectionLevels
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.recording import ArtifactRecord
from microexp_tui.domain.sessions import SessionRecord, mains_hz_of
from microexp_tui.dsp.activations import envelope_delay_samples, unsupported_rate
from microexp_tui.dsp.artifacts import ArtifactFlag, StreamingArtifactDetector
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.errors import InputError, StoreError
from microexp_tui.expressions.detector import ExpressionDetector, WindowClassifier
from microexp_tui.inference.offline import join_contiguous
from microexp_tui.store.sessions import SessionStore

PIECE_S = 60.0
"""Stored chunks are joined into pieces of up to a minute before filtering."""
DEFAULT_MAINS_HZ = 50.0


@dataclass(frozen=True)
class Analysis:
    """A session's offline expressions and how they were found."""

    record: SessionRecord
    expressions: list[Expression]
    parameters: dict[str, Any]


def session_calibration(store: SessionStore, session_id: int) -> Calibration | None:
    """The calibration stored with a session, or None when none was made."""
    rows = store.calibration(session_id)
    return Calibration(tuple(rows)) if rows else None


def check_analysable(record: SessionRecord) -> None:
    """Refuse a session that is still recording or holds no samples, saying what to do."""
    if record.status == "recording":
        raise StoreError(
            f"Session {record.id} is still recording; analyse it once the recording has "
            "finished (or, if the program that recorded it crashed, open the database once "
            "so it is marked interrupted)."
        )
    if record.samples_per_channel == 0:
        raise InputError(
            f"Session {record.id} has no samples (it stopped before the board sent data), so "
            "there is nothing to analyse. Record a new session."
        )
    kinds = [s.sensor_kind for s in record.channels]
    imported = record.source == "import"
    problem = unsupported_rate(kinds, record.sample_rate_hz, anti_aliased=imported)
    if problem and imported:
        raise InputError(
            f"Session {record.id} has {problem}. Its raw channels cannot be analysed; import "
            "the recording's envelope instead (mark the channels as envelope), or a "
            "recording sampled faster."
        )
    if problem:
        raise InputError(
            f"Session {record.id} has {problem}. Record raw sensors at 1000 Hz or more "
            "(record --rate-hz 1000, or the Board screen's rate), or use envelope sensors "
            "(Muscle Sensor V3 SIG, MyoWare ENV)."
        )


class StoredFlags:
    """Artifact flags of a stored session rebuilt from its recorded intervals, piece by piece.

    The recorder stores every run of the same artifact detector the offline path would run,
    so reading them gives the same flags at a fraction of the cost (1.3 s an hour).
    """

    def __init__(self, artifacts: Sequence[ArtifactRecord], channels: int) -> None:
        """Index the intervals by start."""
        self.channels = channels
        rows = sorted(artifacts, key=lambda a: a.start_index)
        self.starts = np.array([a.start_index for a in rows], dtype=np.int64)
        self.stops = np.array([a.stop_index for a in rows], dtype=np.int64)
        self.rows = rows

    def flags(self, first: int, n_samples: int) -> np.ndarray:
        """`(n_samples, channels)` uint8 flags of samples [first, first + n_samples)."""
        out = np.zeros((n_samples, self.channels), dtype=np.uint8)
        stop = first + n_samples
        upto = int(np.searchsorted(self.starts, stop))
        for k in np.flatnonzero(self.stops[:upto] > first):
            row = self.rows[k]
            if 0 <= row.channel < self.channels and row.flag.upper() in ArtifactFlag.__members__:
                lo, hi = max(row.start_index, first) - first, min(row.stop_index, stop) - first
                out[lo:hi, row.channel] |= np.uint8(ArtifactFlag[row.flag.upper()])
        return out


class OfflineDetection:
    """One session's offline detection fed piece by piece: flags, (filters,) live detector.

    `push` takes a piece's stored values and, when the caller filtered them already with the
    same filter chain (`reprocess`), their envelope; else the piece is filtered here.
    """

    def __init__(
        self,
        *,
        sample_rate_hz: float,
        channel_units: Sequence[Sequence[str]],
        sensor_kinds: Sequence[str],
        mains_hz: float = DEFAULT_MAINS_HZ,
        levels: Sequence[DetectionLevels | None] | None = None,
        classifier: WindowClassifier | None = None,
        stored_flags: StoredFlags | None = None,
        working: WorkingUnits | None = None,
        flagger: StreamingArtifactDetector | None = None,
    ) -> None:
        """The filter bank, flagger and detector of `detect_in_counts` (same arguments)."""
        self.working = working or WorkingUnits.board(len(sensor_kinds))
        self.mains_hz = mains_hz
        self.settings = FilterSettings(sample_rate_hz=float(sample_rate_hz), mains_hz=mains_hz)
        self.bank = self.working.filter_bank(sensor_kinds, self.settings)
        self.flagger = flagger or StreamingArtifactDetector(
            float(sample_rate_hz), len(sensor_kinds), sensor_kinds=sensor_kinds
        )
        self.stored_flags = stored_flags
        self.detector = ExpressionDetector(
            sample_rate_hz,
            channel_units,
            levels=levels,
            delay_samples=[envelope_delay_samples(self.settings, kind) for kind in sensor_kinds],
            classifier=classifier,
            min_on=self.working.min_on.tolist(),
        )
        self.found: list[Expression] = []

    def flags(self, first: int, counts: np.ndarray) -> np.ndarray:
        """Artifact flags of one piece of stored values (recorded ones, else flagged here)."""
        if self.stored_flags is None:
            return self.flagger.process(counts)
        return self.stored_flags.flags(first, counts.shape[0])

    def push(self, first: int, counts: np.ndarray, envelope: np.ndarray | None = None) -> None:
        """Detect in one piece of stored values (`envelope`: their filtered values, if made)."""
        flags = self.flags(first, counts)
        if envelope is None:
            envelope = self.bank.process(self.working.convert(counts))
        self.found += self.detector.push(first, envelope, flags)

    def finish(self) -> tuple[list[Expression], dict[str, Any]]:
        """The expressions found and the detector's parameters (JSON), at the stream's end."""
        self.found += self.detector.flush()
        parameters = {
            **self.detector.parameters(),
            "mains_hz": self.mains_hz,
            "filters": self.bank.description,
        }
        return self.found, {**parameters, "units": list(self.working.units)}


def detect_in_counts(
    chunks: Iterable[tuple[int, np.ndarray]],
    *,
    sample_rate_hz: float,
    channel_units: Sequence[Sequence[str]],
    sensor_kinds: Sequence[str],
    mains_hz: float = DEFAULT_MAINS_HZ,
    levels: Sequence[DetectionLevels | None] | None = None,
    classifier: WindowClassifier | None = None,
    stored_flags: StoredFlags | None = None,
    working: WorkingUnits | None = None,
    flagger: StreamingArtifactDetector | None = None,
) -> tuple[list[Expression], dict[str, Any]]:
    """Expressions in `(first_index, (samples, channels) stored values)` pieces in sample order.

    Filters and flags the values as a recording does (or takes the flags it recorded), then
    runs the live detector; returns the expressions and the detector's parameters (JSON).
    `working` converts stored values into the filters' units (default: a board's counts);
    `flagger` flags the stored values (default: the board's artifact thresholds).
    """
    detection = OfflineDetection(
        sample_rate_hz=sample_rate_hz,
        channel_units=channel_units,
        sensor_kinds=sensor_kinds,
        mains_hz=mains_hz,
        levels=levels,
        classifier=classifier,
        stored_flags=stored_flags,
        working=working,
        flagger=flagger,
    )
    for first, counts in chunks:
        detection.push(first, counts)
    return detection.finish()


def session_detection(
    store: SessionStore,
    record: SessionRecord,
    *,
    mains_hz: float | None = None,
    classifier: WindowClassifier | None = None,
) -> OfflineDetection:
    """The offline detection of a stored session, ready to be fed its pieces in order.

    Refuses a session that cannot be analysed (`check_analysable`); `mains_hz` None: the
    session's recorded mains frequency, else 50 Hz.
    """
    check_analysable(record)
    session_id = record.id
    mains = mains_hz or mains_hz_of(store.settings_snapshot(session_id)) or DEFAULT_MAINS_HZ
    calibration = session_calibration(store, session_id)
    imported = record.source != "board"
    return OfflineDetection(
        sample_rate_hz=float(record.sample_rate_hz),
        channel_units=[spec.action_units for spec in record.channels],
        sensor_kinds=[spec.sensor_kind for spec in record.channels],
        mains_hz=mains,
        levels=calibration.detection_levels() if calibration else None,
        classifier=classifier,
        stored_flags=None
        if imported
        else StoredFlags(store.artifacts(session_id), record.channel_count),
        working=WorkingUnits.of_session(record.channels, record.source, record.sample_format),
        flagger=StreamingArtifactDetector.for_imported(
            float(record.sample_rate_hz), record.channels, record.sample_format
        )
        if imported
        else None,
    )


def piece_samples(record: SessionRecord) -> int:
    """How many samples of a session offline detection filters at once (`PIECE_S`)."""
    return int(PIECE_S * record.sample_rate_hz)


def analyse_session(
    store: SessionStore,
    session_id: int,
    *,
    mains_hz: float | None = None,
    classifier: WindowClassifier | None = None,
    save: bool = True,
) -> Analysis:
    """Detect a stored session's expressions offline and (by default) store them as `offline`."""
    record = store.session(session_id)
    detection = session_detection(store, record, mains_hz=mains_hz, classifier=classifier)
    for first, counts in join_contiguous(store.sample_chunks(session_id), piece_samples(record)):
        detection.push(first, counts)
    found, parameters = detection.finish()
    if save:
        store.save_expressions(session_id, found, "offline", parameters)
    return Analysis(record, found, parameters)


def load_classifier(
    model_path: Path, record: SessionRecord, store: SessionStore
) -> WindowClassifier:
    """The model as the expression classifier, calibrated with the session's calibration."""
    from microexp_tui.inference.expression_window import ModelWindowClassifier
    from microexp_tui.inference.model import EmotionModel

    working = WorkingUnits.of_session(record.channels, record.source, record.sample_format)
    return ModelWindowClassifier(
        EmotionModel.load(model_path),
        float(record.sample_rate_hz),
        [spec.muscle for spec in record.channels],
        [spec.sensor_kind for spec in record.channels],
        session_calibration(store, record.id),
        units=working.units,
    )


def channel_names(channels: Sequence[ChannelSpec]) -> list[str]:
    """A short name per channel: its muscle, else its label."""
    return [spec.muscle or spec.label for spec in channels]
