"""One session's trial table: a single pass over its stored samples, epochs cut as they pass.

The pass is the offline detection's (`analysis.microexpressions.session_detection`): the same
filter bank in the same working units, the same artifact flags (recorded ones for a board
session, flagged here for an imported one) and the same activation detector, whose onsets
give each trial's onset latency. Raw sensors give the chain's rectified envelope, envelope
sensors their filtered envelope; each channel's envelope is read `envelope_delay_samples`
later than the muscle it shows, so windows are placed in the muscle's time. Only the epochs
open at a piece are held, so memory does not grow with the session's length.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial

import numpy as np

from microexp_tui.analysis.microexpressions import (
    OfflineDetection,
    piece_samples,
    session_calibration,
    session_detection,
)
from microexp_tui.analysis.trials.epochs import Epoch, EpochGeometry
from microexp_tui.analysis.trials.onsets import TrialOnset, trial_onsets
from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.rows import new_row
from microexp_tui.analysis.trials.table import TrialRow
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.expressions import Activation
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.artifacts import ArtifactFlag
from microexp_tui.dsp.batch import SplitFilterBank, read_ahead
from microexp_tui.dsp.filters import RAW
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.errors import InputError, StoreError
from microexp_tui.inference.offline import join_contiguous
from microexp_tui.store.sessions import SessionStore

OUTSIDE = "outside the recording"
LOST = "lost samples"
CLIPPING = "clipping"
FLAT_LINE = "flat line"
MOTION = "motion"
REASON_SEPARATOR = "; "


class NoTrialsError(InputError):
    """A session that holds no event a trial starts at (nothing to cut into trials)."""


@dataclass(frozen=True)
class SessionTrials:
    """One session's trial rows (z empty, no SD exclusions, no valence rows yet)."""

    record: SessionRecord
    participant_code: str
    onsets: list[TrialOnset]
    rows: list[TrialRow]


@dataclass(frozen=True)
class _Channel:
    """What a row says about one channel, and the levels its percentages use."""

    muscle: str
    label: str
    unit: str
    raw: bool
    noise_floor: float
    mvc_span: float | None


def session_trials(store: SessionStore, session_id: int, options: TrialOptions) -> SessionTrials:
    """The trial rows of one stored session; InputError when it cannot be analysed."""
    record = store.session(session_id)
    try:
        detection = session_detection(store, record)
    except StoreError as err:
        raise InputError(str(err)) from err
    onsets = trial_onsets(store.markers(session_id), record.sample_rate_hz)
    if not onsets:
        raise NoTrialsError(
            f"Session {session_id} has no stimulus onset, trigger or external event, so it has "
            "no trials. Record it with a stimulus protocol, or import its events "
            "(events.tsv with onset and trial_type)."
        )
    geometry = EpochGeometry.of(options, record.sample_rate_hz)
    channels = _channels(record, detection.working, session_calibration(store, session_id))
    pieces = join_contiguous(store.sample_chunks(session_id), piece_samples(record))
    rows = _one_pass(pieces, detection, _TrialCutter(record, onsets, geometry, detection, channels))
    return SessionTrials(record, record.participant_code, onsets, rows)


class _TrialCutter:
    """The epochs of a session's trials, opened as the pieces reach them and turned into rows
    as soon as every activation that can start in their response window is known.

    Only open epochs and finished ones waiting for the detector are held (a few seconds of
    signal each), so memory does not grow with the session's length.
    """

    def __init__(
        self,
        record: SessionRecord,
        onsets: Sequence[TrialOnset],
        geometry: EpochGeometry,
        detection: OfflineDetection,
        channels: Sequence[_Channel],
    ) -> None:
        """Nothing open yet; every onset waits for its first sample."""
        self.record = record
        self.geometry = geometry
        self.channels = channels
        self.delays = np.asarray(detection.detector.activations.delays, dtype=np.int64)
        self.waiting = deque(sorted(onsets, key=lambda onset: onset.sample_index))
        self.open: list[tuple[TrialOnset, Epoch]] = []
        self.closed: deque[tuple[TrialOnset, Epoch]] = deque()
        self.activation_onsets: list[list[int]] = [[] for _ in channels]
        self.rows: list[TrialRow] = []

    def take(
        self, first: int, working: np.ndarray, flags: np.ndarray, envelope: np.ndarray
    ) -> None:
        """Open the epochs this piece reaches, copy it into every open one, close the done."""
        stop = first + envelope.shape[0]
        reach = self.geometry.first + int(self.delays.min())
        while self.waiting and self.waiting[0].sample_index + reach < stop:
            onset = self.waiting.popleft()
            self.open.append((onset, Epoch(onset.sample_index, self.geometry, self.delays)))
        still: list[tuple[TrialOnset, Epoch]] = []
        for onset, epoch in self.open:
            epoch.take(first, envelope, flags, working)
            (self.closed if epoch.buffer_stop <= stop else still).append((onset, epoch))
        self.open = still

    def detected(self, activations: Sequence[Activation]) -> None:
        """Note the onsets of newly closed activations, per channel, in order."""
        for activation in activations:
            if 0 <= activation.channel_index < len(self.activation_onsets):
                bisect.insort(
                    self.activation_onsets[activation.channel_index], activation.onset_index
                )

    def finish_known(self, watermark: int) -> None:
        """Rows of the closed epochs whose response window ends before `watermark` (no later
        activation can start in it)."""
        window_end = self.geometry.window[1]
        while self.closed and self.closed[0][0].sample_index + window_end <= watermark:
            self._finish(*self.closed.popleft())

    def finish_all(self) -> list[TrialRow]:
        """At the stream's end: rows of every epoch left, in trial order; all the rows."""
        while self.waiting:
            onset = self.waiting.popleft()
            self.open.append((onset, Epoch(onset.sample_index, self.geometry, self.delays)))
        for onset, epoch in [*self.closed, *self.open]:
            self._finish(onset, epoch)
        self.closed.clear()
        self.open = []
        return self.rows

    def _finish(self, onset: TrialOnset, epoch: Epoch) -> None:
        """Turn one epoch into its rows."""
        self.rows += _trial_rows(self.record, onset, epoch, self.channels, self.activation_onsets)


def _one_pass(
    pieces: Iterator[tuple[int, np.ndarray]], detection: OfflineDetection, cutter: _TrialCutter
) -> list[TrialRow]:
    """Filter, flag and detect each piece once, cutting the trials' epochs from it.

    The next pieces are read, converted, flagged and filtered on a thread (the channel groups
    on threads of their own: `dsp.batch`, the same envelope bit for bit) while this one is
    detected and cut, and finished trials are turned into rows.
    """
    detector = detection.detector.activations
    kinds = list(detection.bank.sensor_kinds)
    with (
        SplitFilterBank(detection.working, kinds, detection.settings) as bank,
        closing(read_ahead(pieces, partial(_prepared, detection, bank))) as prepared,
    ):
        for first, working, flags, envelope in prepared:
            cutter.detected(detector.push(first, envelope, flags))
            cutter.take(first, working, flags, envelope)
            cutter.finish_known(detector.watermark)
    cutter.detected(detector.flush())
    return cutter.finish_all()


def _prepared(
    detection: OfflineDetection, bank: SplitFilterBank, piece: tuple[int, np.ndarray]
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A piece's first index, working values, artifact flags and envelope."""
    first, stored = piece
    working = detection.working.convert(stored)
    return first, working, detection.flags(first, stored), bank.process(working)


def _channels(
    record: SessionRecord, working: WorkingUnits, calibration: Calibration | None
) -> list[_Channel]:
    """Per channel: names, unit, sensor kind, noise floor and usable calibrated span."""
    if calibration is not None and calibration.count != record.channel_count:
        calibration = None
    out = []
    for index, spec in enumerate(record.channels):
        step = 1.0 if working.in_counts else float(working.min_on[index])
        floor, span = step, None
        if calibration is not None:
            row = calibration.channels[index]
            if math.isfinite(row.rest_sd):
                floor = max(step, row.rest_sd)
            span = row.span if row.valid else None
        out.append(
            _Channel(
                muscle=spec.muscle or spec.label,
                label=spec.label,
                unit=working.units[index],
                raw=spec.sensor_kind == RAW,
                noise_floor=floor,
                mvc_span=span,
            )
        )
    return out


def _exclusions(record: SessionRecord, epoch: Epoch, envelope: np.ndarray) -> list[list[str]]:
    """Per channel, the reasons the trial is excluded on it (empty: kept)."""
    geometry, onset = epoch.geometry, epoch.onset
    motion = bool(epoch.flagged(ArtifactFlag.MOTION).any())
    clipping, flat = epoch.flagged(ArtifactFlag.CLIPPING), epoch.flagged(ArtifactFlag.FLAT_LINE)
    reasons = []
    for channel, delay in enumerate(epoch.delays.tolist()):
        found = []
        inside = onset + geometry.first >= 0 and (
            onset + geometry.stop + delay <= record.samples_per_channel
        )
        if not inside:
            found.append(OUTSIDE)
        elif np.isnan(envelope[:, channel]).any():
            found.append(LOST)
        if clipping[channel]:
            found.append(CLIPPING)
        if flat[channel]:
            found.append(FLAT_LINE)
        if motion:
            found.append(MOTION)
        reasons.append(found)
    return reasons


def _trial_rows(
    record: SessionRecord,
    onset: TrialOnset,
    epoch: Epoch,
    channels: Sequence[_Channel],
    activation_onsets: Sequence[Sequence[int]],
) -> list[TrialRow]:
    """The rows of one trial: per channel, the whole window (bin 0) then each time bin."""
    geometry = epoch.geometry
    envelope = epoch.envelope()
    reasons = _exclusions(record, epoch, envelope)
    levels = epoch.stored_level().tolist()
    values = _BinValues.of(envelope, geometry)
    latencies = _onset_latencies(onset.sample_index, geometry, activation_onsets)
    rate_hz = geometry.rate_hz
    rows = []
    for index, channel in enumerate(channels):
        base = values.baseline[index]
        level = base if channel.raw else levels[index]
        reason = REASON_SEPARATOR.join(reasons[index])
        shared = {
            "site": "",
            "participant": record.participant_code,
            "session": str(record.id),
            "trial": onset.trial,
            "condition": onset.condition,
            "onset_s": onset.onset_s,
            "muscle": channel.muscle,
            "channel": channel.label,
            "unit": channel.unit,
            "baseline": base,
            "z": None,
            "onset_latency_s": latencies[index],
            "excluded": bool(reason),
            "exclude_reason": reason,
        }
        for number, trial_bin in enumerate(geometry.bins):
            mean = values.mean[number][index]
            peak = values.peak[number][index]
            change = None if mean is None or base is None else mean - base
            rows.append(
                new_row(
                    {
                        **shared,
                        "bin": trial_bin.number,
                        "bin_start_s": trial_bin.start_s,
                        "bin_end_s": trial_bin.end_s,
                        "mean": mean,
                        "change": change,
                        "pct_change": _percent(change, level, channel.noise_floor),
                        "pct_mvc": None
                        if change is None or channel.mvc_span is None
                        else 100.0 * change / channel.mvc_span,
                        "peak": None if peak is None or base is None else peak - base,
                        "peak_latency_s": None
                        if peak is None
                        else (trial_bin.start + values.peak_at[number][index]) / rate_hz,
                    }
                )
            )
    return rows


@dataclass(frozen=True)
class _BinValues:
    """One epoch's baseline per channel and, per bin, mean, peak and the peak's row (lists)."""

    baseline: list[float | None]
    mean: list[list[float | None]]
    peak: list[list[float | None]]
    peak_at: list[list[int]]

    @classmethod
    def of(cls, envelope: np.ndarray, geometry: EpochGeometry) -> _BinValues:
        """The values of `(epoch samples, channels)` (NaN: not delivered), all bins at once."""
        present = ~np.isnan(envelope)
        filled = np.where(present, envelope, 0.0)
        zero = np.zeros((1, envelope.shape[1]))
        sums = np.concatenate([zero, np.cumsum(filled, axis=0)])
        counts = np.concatenate([zero, np.cumsum(present, axis=0)])
        lowest = np.where(present, envelope, -np.inf)
        first = geometry.first
        edges = [(b.start - first, b.stop - first) for b in geometry.bins]
        starts, stops = (np.array(side) for side in zip(*edges, strict=True))
        total, number = sums[stops] - sums[starts], counts[stops] - counts[starts]
        means = np.where(number > 0, total / np.maximum(number, 1), np.nan)
        peak_at = _bin_argmax(lowest, edges)
        peaks = np.take_along_axis(lowest, peak_at + starts[:, None], axis=0)
        base_lo, base_hi = (edge - first for edge in geometry.baseline)
        base_n = counts[base_hi] - counts[base_lo]
        baseline = np.where(
            base_n > 0, (sums[base_hi] - sums[base_lo]) / np.maximum(base_n, 1), np.nan
        )
        return cls(
            _or_none(baseline.tolist()),
            [_or_none(row) for row in means.tolist()],
            [_or_none(row) for row in np.where(np.isinf(peaks), np.nan, peaks).tolist()],
            peak_at.tolist(),
        )


def _bin_argmax(values: np.ndarray, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """`(bins, channels)` row of each bin's largest value, from the bin's start; the time
    bins at once when they tile the window in equal lengths (bin 0 is the whole window)."""
    first = [np.argmax(values[edges[0][0] : edges[0][1]], axis=0)]
    bins = edges[1:]
    width = bins[0][1] - bins[0][0] if bins else 0
    tiled = bins and all(
        b - a == width and a == bins[0][0] + k * width for k, (a, b) in enumerate(bins)
    )
    if tiled:
        block = values[bins[0][0] : bins[-1][1]].reshape(len(bins), width, values.shape[1])
        return np.concatenate([np.stack(first), np.argmax(block, axis=1)])
    return np.stack(first + [np.argmax(values[a:b], axis=0) for a, b in bins])


def _or_none(values: list[float]) -> list[float | None]:
    """The values with NaN as None."""
    return [None if value != value else value for value in values]


def _percent(change: float | None, level: float | None, floor: float) -> float | None:
    """`change` as a percentage of the baseline level; None below the channel's noise floor."""
    if change is None or level is None or not math.isfinite(level) or level < floor:
        return None
    return 100.0 * change / level


def _onset_latencies(
    onset_index: int, geometry: EpochGeometry, onsets: Sequence[Sequence[int]]
) -> list[float | None]:
    """Per channel, the first activation onset in the response window (s after the onset)."""
    start, stop = (onset_index + edge for edge in geometry.window)
    found: list[float | None] = []
    for indices in onsets:
        at = bisect.bisect_left(indices, start)
        hit = at < len(indices) and indices[at] < stop
        found.append((indices[at] - onset_index) / geometry.rate_hz if hit else None)
    return found
