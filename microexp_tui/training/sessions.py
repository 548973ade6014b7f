"""Loader of sessions recorded by this program: the live path's rows, labelled by stimulus markers.

Each finished session's stored samples go through exactly what a live recording does: the
causal filter bank at the session's rate, then block means down to the model's row rate
(`inference.windows`). Imported sessions (any rate, any unit) are read in their channels'
physical units; when their rate is not a whole multiple of the row rate, row r is the mean
of the samples from ceil(r x ratio) up to ceil((r + 1) x ratio), inside each contiguous
stretch of at most a minute. Labels come from the markers: a stimulus-onset marker labels the rows
up to the next stimulus-offset marker with its emotion (`domain.emotion_of_marker`), a
rest-onset marker labels the rows up to the next marker as neutral, everything else is
unlabelled. A row that straddles a label change is unlabelled. The participant is their
session participant code; each session is calibrated (ADC counts) or standardised (other
units) from its own rows without labels.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from microexp_tui.domain.calibration import COUNTS
from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.domain.markers import REST_CONDITION, block_condition, is_stimulus_offset
from microexp_tui.domain.recording import MarkerRecord
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.calibration import estimate_calibration
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.errors import InputError
from microexp_tui.inference.card import ChannelInfo
from microexp_tui.inference.fit import session_channels
from microexp_tui.inference.offline import MAX_CHUNK_S, join_contiguous
from microexp_tui.inference.windows import StreamingDecimator
from microexp_tui.store.sessions import SessionStore
from microexp_tui.training.dataset import LABELS, MODEL_RATE_HZ, UNLABELLED, Dataset, Recording
from microexp_tui.training.dataset_file import TableDeclaration
from microexp_tui.training.table import normalisation_for


def marker_events(markers: Sequence[MarkerRecord]) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices and the label each event starts (UNLABELLED for offsets and others).

    A stimulus of an emotion or `neutral` (a board's code or an imported event's condition)
    labels its block with that class, a rest block is neutral, and a stimulus of another
    condition (another lab's trial type) or an offset leaves the rows unlabelled.
    """
    indices, labels = [], []
    for marker in markers:
        condition = block_condition(marker)
        if condition is not None:
            label = _label_of(condition)
        elif is_stimulus_offset(marker):
            label = UNLABELLED
        else:
            continue
        indices.append(marker.sample_index)
        labels.append(label)
    return np.asarray(indices, dtype=np.int64), np.asarray(labels, dtype=np.int8)


def _label_of(condition: str) -> int:
    """The class index a block condition teaches (rest is neutral), else UNLABELLED."""
    name = NEUTRAL if condition == REST_CONDITION else condition.casefold()
    return LABELS.index(name) if name in LABELS else UNLABELLED


def row_labels(row_index: np.ndarray, factor: float, markers: Sequence[MarkerRecord]) -> np.ndarray:
    """Label of each row (absolute row indices): the marker label in force over the whole row.

    Row r covers samples ceil(r x factor) to ceil((r + 1) x factor) - 1.
    """
    indices, labels = marker_events(markers)
    out = np.full(row_index.shape, UNLABELLED, dtype=np.int16)
    if indices.size == 0:
        return out
    first_sample = np.ceil(row_index * factor - 1e-9).astype(np.int64)
    last_sample = np.ceil((row_index + 1) * factor - 1e-9).astype(np.int64) - 1
    first = np.searchsorted(indices, first_sample, side="right") - 1
    last = np.searchsorted(indices, last_sample, side="right") - 1
    steady = (first == last) & (first >= 0)
    out[steady] = labels[first[steady]]
    return out


def fractional_block_means(
    values: np.ndarray, first_index: int, factor: float
) -> tuple[int, np.ndarray]:
    """Rows of a contiguous run at a non-whole samples-per-row `factor`; partial rows dropped."""
    first_row = math.ceil(first_index / factor - 1e-9)
    stop_row = math.floor((first_index + values.shape[0]) / factor + 1e-9)
    if stop_row <= first_row:
        return first_row, np.empty((0, values.shape[1]), dtype=np.float32)
    edges = np.ceil(np.arange(first_row, stop_row + 1) * factor - 1e-9).astype(np.int64)
    edges = np.clip(edges - first_index, 0, values.shape[0])
    sums = np.add.reduceat(np.asarray(values, dtype=np.float64), edges[:-1], axis=0)
    return first_row, (sums / np.diff(edges)[:, None]).astype(np.float32)


def row_factor(record: SessionRecord, rate_hz: float) -> float:
    """Samples per row; InputError when the session samples slower than the row rate."""
    factor = float(record.sample_rate_hz) / rate_hz
    if factor < 1.0 - 1e-9:
        raise InputError(
            f"Session {record.id} samples at {record.sample_rate_hz:g} Hz, slower than the "
            f"{rate_hz:g} Hz rows a model takes; train on sessions of at least {rate_hz:g} Hz."
        )
    return round(factor) if abs(factor - round(factor)) <= 1e-9 * factor else factor


def _session_rows(
    store: SessionStore, record: SessionRecord, factor: float, mains_hz: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filtered, decimated rows, their absolute row indices and run ids of one session."""
    kinds = [spec.sensor_kind for spec in record.channels]
    units = WorkingUnits.of_session(record.channels, record.source, record.sample_format)
    bank = units.filter_bank(kinds, FilterSettings(float(record.sample_rate_hz), mains_hz))
    whole = isinstance(factor, int)
    decimator = StreamingDecimator(int(factor), record.channel_count) if whole else None
    pieces, runs = [], 0
    chunks = join_contiguous(
        store.sample_chunks(record.id), int(MAX_CHUNK_S * record.sample_rate_hz)
    )
    for first, stored in chunks:
        filtered = bank.process(units.convert(stored))
        if decimator is not None:
            row, rows, restarted = decimator.push(first, filtered)
            runs += int(restarted)
        else:
            row, rows = fractional_block_means(filtered, first, factor)
            runs += 1
        pieces.append((np.arange(row, row + rows.shape[0]), rows, np.full(rows.shape[0], runs)))
    if not pieces or not sum(p[1].shape[0] for p in pieces):
        raise InputError(f"Session {record.id} holds no samples to learn from.")
    return tuple(np.concatenate([p[i] for p in pieces]) for i in range(3))  # type: ignore[return-value]


def _segments(row_index: np.ndarray, runs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Segment ids: a new segment at every label change, data gap or restart."""
    breaks = (np.diff(labels) != 0) | (np.diff(runs) != 0) | (np.diff(row_index) != 1)
    return np.concatenate([[0], np.cumsum(breaks)]).astype(np.int32)


def load_session(
    store: SessionStore, record: SessionRecord, rate_hz: float, mains_hz: float
) -> Recording:
    """One finished session as a labelled recording at `rate_hz` rows per second."""
    factor = row_factor(record, rate_hz)
    row_index, rows, runs = _session_rows(store, record, factor, mains_hz)
    labels = row_labels(row_index, factor, store.markers(record.id))
    counts = all(c.unit == COUNTS for c in _channels(record))
    return Recording(
        participant=record.participant_code,
        source=f"{record.source} session {record.id} ({record.uuid})",
        rows=rows.astype(np.float32),
        labels=labels,
        segments=_segments(row_index, runs, labels),
        calibration=estimate_calibration(rows) if counts else None,
    )


def _channels(record: SessionRecord) -> tuple[ChannelInfo, ...]:
    """The session montage as model channels (board: ADC counts; imported: physical units)."""
    return tuple(session_channels(record.channels, record.source))


def _chosen(store: SessionStore, session_ids: Sequence[int] | None) -> list[SessionRecord]:
    """Finished sessions of the database (all, or the listed ids) sharing one montage."""
    records = [r for r in store.list_sessions() if r.status != "recording"]
    if session_ids:
        found = {r.id for r in records}
        missing = sorted(set(session_ids) - found)
        if missing:
            raise InputError(f"No finished session with id {missing} in {store.path}.")
        records = [r for r in records if r.id in set(session_ids)]
    if not records:
        raise InputError(f"{store.path} holds no finished session to learn from.")
    montages = {_channels(r) for r in records}
    if len(montages) > 1:
        raise InputError(
            "The sessions use different montages; train on sessions of one montage "
            "(choose them with --sessions)."
        )
    return records


def load_sessions(
    db_path: Path,
    session_ids: Sequence[int] | None = None,
    rate_hz: float = MODEL_RATE_HZ,
    mains_hz: float = 50.0,
) -> Dataset:
    """Finished sessions of a database as a dataset (participant = session participant code)."""
    with SessionStore.open(db_path) as store:
        records = _chosen(store, session_ids)
        recordings = tuple(load_session(store, r, rate_hz, mains_hz) for r in records)
    digest = hashlib.sha256()
    for recording in recordings:
        digest.update(recording.source.encode())
        digest.update(recording.rows.tobytes())
        digest.update(recording.labels.tobytes())
    channels = _channels(records[0])
    spec = normalisation_for(recordings, channels, TableDeclaration())
    return Dataset(
        kind="sessions",
        path=str(db_path),
        recordings=recordings,
        channels=channels,
        content_sha256=digest.hexdigest(),
        description=(
            f"{len(records)} recorded session(s) ({', '.join(str(r.id) for r in records)}) from "
            f"{db_path}: filtered like a live recording (mains {mains_hz:g} Hz), block means "
            f"at {rate_hz:g} Hz, labels from stimulus and rest markers"
        ),
        rate_hz=rate_hz,
        normalisation=spec,
    )
