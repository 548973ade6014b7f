"""Labelled rows per participant, and the windows cut from them for training and tests.

Every loader (labelled CSV tables, the seed layout among them, and recorded sessions) produces
a `Dataset` of `Recording`s: rows at the model's row rate, `(rows, channels)` in the channels'
units (ADC counts, physical units or features), one label per row (an index into the
dataset's `labels`, neutral first) and a segment id per row. A window is `window_rows`
consecutive rows of one segment (one emotion block of the seed data, one stimulus or rest
block of a session): windows never cross a segment boundary, so a window never mixes two
labels or two sides of a data gap.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.errors import InputError
from microexp_tui.inference.card import ChannelInfo
from microexp_tui.inference.gate import DEFAULT_HIGH, window_activation
from microexp_tui.inference.normalisation import (
    RANGE,
    NormalisationSpec,
    estimate_standardisation,
    normalise,
    standardise,
)
from microexp_tui.inference.windows import stack_windows, window_starts

LABELS: tuple[str, ...] = (NEUTRAL, *EMOTIONS)
"""The default label set (neutral 0, then the six emotions); a dataset may have its own."""
UNLABELLED = -1
MODEL_RATE_HZ = 20.0
"""Row rate of every model: the article's sketch sampled about 20 times a second."""


@dataclass(frozen=True)
class Recording:
    """One participant's rows at the model rate, with labels and segments."""

    participant: str
    source: str
    rows: npt.NDArray[np.float32]
    """(rows, channels) in the channels' units."""
    labels: npt.NDArray[np.int16]
    """(rows,) index into the dataset's labels, or UNLABELLED."""
    segments: npt.NDArray[np.int32]
    """(rows,) segment id; consecutive rows with the same id may share a window."""
    calibration: Calibration | None
    """Label-free calibration (ADC-count data only; None for other units)."""


@dataclass(frozen=True)
class Dataset:
    """Recordings of one montage at one row rate, with a description and a content hash."""

    kind: str
    """`seed-csv`, `csv` or `sessions`."""
    path: str
    recordings: tuple[Recording, ...]
    channels: tuple[ChannelInfo, ...]
    content_sha256: str
    description: str
    rate_hz: float = MODEL_RATE_HZ
    labels: tuple[str, ...] = LABELS
    """Class names, neutral first; `Recording.labels` index into it."""
    normalisation: NormalisationSpec = field(default_factory=NormalisationSpec)
    """The normalisation that fits the data (ranges for counts, standardisation otherwise)."""

    @property
    def has_neutral(self) -> bool:
        """Whether some rows are labelled neutral (then neutral is a class of its own)."""
        return any(bool((r.labels == 0).any()) for r in self.recordings)

    @property
    def units(self) -> tuple[str, ...]:
        """Each channel's unit."""
        return tuple(c.unit for c in self.channels)

    @property
    def participants(self) -> list[str]:
        """Participant names in first-seen order."""
        return list(dict.fromkeys(r.participant for r in self.recordings))

    def select(self, participants: Sequence[str] | None) -> Dataset:
        """Only the recordings of the named participants (case-insensitive)."""
        if not participants:
            return self
        wanted = {p.casefold() for p in participants}
        unknown = wanted - {p.casefold() for p in self.participants}
        if unknown:
            raise InputError(
                f"Unknown participant(s) {', '.join(sorted(unknown))} in {self.path}; the "
                f"dataset has {', '.join(self.participants)}."
            )
        chosen = tuple(r for r in self.recordings if r.participant.casefold() in wanted)
        return replace(self, recordings=chosen)


@dataclass(frozen=True)
class Windows:
    """Normalised windows with their labels and where they came from."""

    x: npt.NDArray[np.float32]
    """(windows, rows, channels) normalised envelope."""
    y: npt.NDArray[np.int64]
    """(windows,) index into `classes`."""
    participant: npt.NDArray[np.int64]
    """(windows,) index into `participants`."""
    start_row: npt.NDArray[np.int64]
    participants: tuple[str, ...]
    classes: tuple[str, ...] = LABELS
    """The dataset's labels (neutral first)."""

    def subset(self, mask: np.ndarray) -> Windows:
        """The windows selected by a boolean mask or an index array."""
        return Windows(
            self.x[mask],
            self.y[mask],
            self.participant[mask],
            self.start_row[mask],
            self.participants,
            self.classes,
        )

    def __len__(self) -> int:
        """Number of windows."""
        return int(self.y.shape[0])


def segment_bounds(segments: np.ndarray) -> list[tuple[int, int]]:
    """`[start, stop)` row ranges of runs of equal segment id."""
    if segments.size == 0:
        return []
    change = np.flatnonzero(np.diff(segments)) + 1
    edges = np.concatenate([[0], change, [segments.size]])
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def normalised_rows(recording: Recording, spec: NormalisationSpec) -> np.ndarray:
    """A recording's rows normalised by `spec`, from its own unlabelled rows only."""
    if spec.method != RANGE:
        return standardise(recording.rows, spec, estimate_standardisation(recording.rows, spec))
    if recording.calibration is None:
        raise InputError(
            f"{recording.source}: calibration-range normalisation needs ADC-count envelopes; "
            "use --normalisation standardise for data in physical units or features."
        )
    return normalise(recording.rows, recording.calibration)


def _recording_windows(
    recording: Recording, window_rows: int, stride_rows: int, spec: NormalisationSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised windows, labels and start rows of one recording (labelled segments only)."""
    rows = normalised_rows(recording, spec)
    starts = []
    for start, stop in segment_bounds(recording.segments):
        if recording.labels[start] != UNLABELLED:
            starts.append(start + window_starts(stop - start, window_rows, stride_rows))
    first = np.concatenate(starts) if starts else np.empty(0, dtype=np.int64)
    x = stack_windows(rows, first, window_rows)
    return x, recording.labels[first].astype(np.int64), first


def cut_windows(
    dataset: Dataset,
    window_rows: int,
    stride_rows: int,
    drop_inactive: bool = False,
    normalisation: NormalisationSpec | None = None,
) -> Windows:
    """Every window of `window_rows` rows, one every `stride_rows` rows, in labelled segments.

    `drop_inactive` removes emotion windows whose activation stays below the neutral gate's
    upper threshold: in a recorded session the marker says what was shown, not when the face
    reacted, so the latency before a reaction is not an example of that emotion (only with
    calibration-range normalisation, whose activation means a fraction of the range).
    `normalisation` defaults to the dataset's own.
    """
    spec = normalisation or dataset.normalisation
    if window_rows < 1 or stride_rows < 1:
        raise InputError(
            f"Windows need >= 1 row and a stride >= 1, got {window_rows}/{stride_rows}."
        )
    names = tuple(dataset.participants)
    parts = []
    for recording in dataset.recordings:
        x, y, start = _recording_windows(recording, window_rows, stride_rows, spec)
        who = np.full(y.shape, names.index(recording.participant), dtype=np.int64)
        parts.append((x, y, who, start))
    if not parts or not sum(len(p[1]) for p in parts):
        raise InputError(
            f"No labelled window of {window_rows} rows in {dataset.path}; use a shorter "
            "--window or a dataset with longer labelled blocks."
        )
    x, y, who, start = (np.concatenate([p[i] for p in parts]) for i in range(4))
    windows = Windows(x, y, who, start, names, dataset.labels)
    if drop_inactive and spec.method == RANGE:
        inactive = (windows.y != 0) & (window_activation(windows.x) < DEFAULT_HIGH)
        windows = windows.subset(~inactive)
    return windows
