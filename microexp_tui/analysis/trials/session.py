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

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.analysis.microexpressions import (
    OfflineDetection,
    piece_samples,
    session_calibration,
    session_detection,
)
from microexp_tui.analysis.trials.epochs import Epoch, EpochGeometry
from microexp_tui.analysis.trials.onsets import TrialOnset, trial_onsets
from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.table import TrialRow
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.expressions import Activation
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.artifacts import ArtifactFlag
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
    delays = np.asarray(detection.detector.activations.delays, dtype=np.int64)
    pieces = join_contiguous(store.sample_chunks(session_id), piece_samples(record))
    epochs, activations = _cut_epochs(pieces, detection, onsets, geometry, delays)
    channels = _channels(record, detection.working, session_calibration(store, session_id))
    by_channel = _onsets_by_channel(activations, len(channels))
    rows = [
        row
        for onset, epoch in zip(onsets, epochs, strict=True)
        for row in _trial_rows(record, onset, epoch, channels, by_channel)
    ]
    return SessionTrials(record, record.participant_code, onsets, rows)


def _cut_epochs(
    pieces: Iterator[tuple[int, np.ndarray]],
    detection: OfflineDetection,
    onsets: Sequence[TrialOnset],
    geometry: EpochGeometry,
    delays: npt.NDArray[np.int64],
) -> tuple[list[Epoch], list[Activation]]:
    """Filter, flag and detect each piece once, copying it into the epochs it overlaps."""
    epochs = [Epoch(onset.sample_index, geometry, delays) for onset in onsets]
    order = sorted(range(len(epochs)), key=lambda k: epochs[k].buffer_start)
    detector = detection.detector.activations
    activations: list[Activation] = []
    waiting, open_epochs = 0, []
    for first, stored in pieces:
        stop = first + stored.shape[0]
        working = detection.working.convert(stored)
        flags = detection.flags(first, stored)
        envelope = detection.bank.process(working)
        activations += detector.push(first, envelope, flags)
        while waiting < len(order) and epochs[order[waiting]].buffer_start < stop:
            open_epochs.append(epochs[order[waiting]])
            waiting += 1
        for epoch in open_epochs:
            epoch.take(first, envelope, flags, working)
        open_epochs = [epoch for epoch in open_epochs if epoch.buffer_stop > stop]
    activations += detector.flush()
    return epochs, activations


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
    activation_onsets: Sequence[np.ndarray],
) -> list[TrialRow]:
    """The rows of one trial: per channel, the whole window (bin 0) then each time bin."""
    geometry = epoch.geometry
    envelope = epoch.envelope()
    reasons = _exclusions(record, epoch, envelope)
    levels = epoch.stored_level()
    first = geometry.first
    baseline = _nanmean(envelope[geometry.baseline[0] - first : geometry.baseline[1] - first])
    latencies = _onset_latencies(onset.sample_index, geometry, activation_onsets)
    rows = []
    for index, channel in enumerate(channels):
        base = baseline[index]
        level = base if channel.raw else levels[index]
        for trial_bin in geometry.bins:
            values = envelope[trial_bin.start - first : trial_bin.stop - first, index]
            mean, peak, peak_at = _bin_values(values)
            change = None if mean is None or base is None else mean - base
            rows.append(
                TrialRow(
                    site="",
                    participant=record.participant_code,
                    session=str(record.id),
                    trial=onset.trial,
                    condition=onset.condition,
                    onset_s=onset.onset_s,
                    muscle=channel.muscle,
                    channel=channel.label,
                    unit=channel.unit,
                    bin=trial_bin.number,
                    bin_start_s=trial_bin.start_s,
                    bin_end_s=trial_bin.end_s,
                    baseline=base,
                    mean=mean,
                    change=change,
                    pct_change=_percent(change, level, channel.noise_floor),
                    z=None,
                    pct_mvc=None
                    if change is None or channel.mvc_span is None
                    else 100.0 * change / channel.mvc_span,
                    peak=None if peak is None or base is None else peak - base,
                    peak_latency_s=None
                    if peak_at is None
                    else (trial_bin.start + peak_at) / geometry.rate_hz,
                    onset_latency_s=latencies[index],
                    excluded=bool(reasons[index]),
                    exclude_reason=REASON_SEPARATOR.join(reasons[index]),
                )
            )
    return rows


def _nanmean(values: np.ndarray) -> list[float | None]:
    """Per column, the mean of the delivered values (None where none was delivered)."""
    present = ~np.isnan(values)
    counts = present.sum(axis=0)
    sums = np.where(present, values, 0.0).sum(axis=0)
    return [float(s / n) if n else None for s, n in zip(sums, counts, strict=True)]


def _bin_values(values: np.ndarray) -> tuple[float | None, float | None, int | None]:
    """Mean, largest value and its row of one channel's bin (None without a delivered value)."""
    present = ~np.isnan(values)
    if not present.any():
        return None, None, None
    at = int(np.argmax(np.where(present, values, -np.inf)))
    return float(values[present].mean()), float(values[at]), at


def _percent(change: float | None, level: float | None, floor: float) -> float | None:
    """`change` as a percentage of the baseline level; None below the channel's noise floor."""
    if change is None or level is None or not math.isfinite(level) or level < floor:
        return None
    return 100.0 * change / level


def _onsets_by_channel(activations: Sequence[Activation], channels: int) -> list[np.ndarray]:
    """Per channel, the sorted onset indices of its activations."""
    by_channel: list[list[int]] = [[] for _ in range(channels)]
    for activation in activations:
        if 0 <= activation.channel_index < channels:
            by_channel[activation.channel_index].append(activation.onset_index)
    return [np.sort(np.asarray(found, dtype=np.int64)) for found in by_channel]


def _onset_latencies(
    onset_index: int, geometry: EpochGeometry, onsets: Sequence[np.ndarray]
) -> list[float | None]:
    """Per channel, the first activation onset in the response window (s after the onset)."""
    start, stop = (onset_index + edge for edge in geometry.window)
    found: list[float | None] = []
    for indices in onsets:
        at = int(np.searchsorted(indices, start))
        hit = at < indices.size and indices[at] < stop
        found.append((int(indices[at]) - onset_index) / geometry.rate_hz if hit else None)
    return found
