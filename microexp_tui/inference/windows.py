"""Turning a filtered envelope stream into model rows and windows, identically live and offline.

A model consumes rows at its own rate (the seed data's ~20 Hz). A faster stream is reduced
by averaging consecutive blocks of `factor = stream_rate / model_rate` samples of the
filtered envelope, blocks aligned to session sample 0 (row r covers samples
[r * factor, (r + 1) * factor)). The envelope is already low-passed at 6 Hz, so the block
mean is a proper anti-aliased decimation, and because blocks are aligned to the sample
clock, live (any chunking) and offline processing produce the same rows.

A window is `window_rows` consecutive rows: `(windows, rows, channels)`. A stored session at
any other rate is resampled to the model's rate instead (`resample.py`, offline only).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import ModelError

FloatArray = npt.NDArray[np.float32]


def whole_factor(stream_rate_hz: float, model_rate_hz: float) -> int | None:
    """Samples per model row when the stream rate is a whole multiple of the model's, else None."""
    ratio = stream_rate_hz / model_rate_hz
    factor = round(ratio)
    if factor < 1 or abs(ratio - factor) > 1e-9 * max(1.0, ratio):
        return None
    return factor


def decimation_factor(stream_rate_hz: float, model_rate_hz: float) -> int:
    """Samples per model row; ModelError unless the stream rate is a whole multiple."""
    factor = whole_factor(stream_rate_hz, model_rate_hz)
    if factor is None:
        raise ModelError(
            f"The session samples at {stream_rate_hz:g} Hz but the model expects rows at "
            f"{model_rate_hz:g} Hz; the session rate must be a whole multiple of the model "
            f"rate (e.g. {model_rate_hz * 50:g} Hz) for live classification. Record at such "
            "a rate, or classify the stored session afterwards (`microexp reprocess`), which "
            "resamples it to the model's rate."
        )
    return factor


def block_means(envelope: np.ndarray, first_index: int, factor: int) -> tuple[int, FloatArray]:
    """Rows of a contiguous `(samples, channels)` run starting at sample `first_index`.

    Returns `(first_row_index, rows)`; partial blocks at either end are dropped.
    """
    start_row = -(-first_index // factor)
    skip = start_row * factor - first_index
    usable = (envelope.shape[0] - skip) // factor
    if usable <= 0:
        return start_row, np.empty((0, envelope.shape[1]), dtype=np.float32)
    body = np.asarray(envelope[skip : skip + usable * factor], dtype=np.float32)
    rows = body.reshape(usable, factor, envelope.shape[1]).mean(axis=1, dtype=np.float32)
    return start_row, rows


class StreamingDecimator:
    """Block means of a stream fed in chunks, restarting at a discontinuity (a sequence gap)."""

    def __init__(self, factor: int, channels: int) -> None:
        """Start empty; the first chunk fixes where the stream begins."""
        self.factor = factor
        self.channels = channels
        self._pending = np.empty((0, channels), dtype=np.float32)
        self._pending_first = 0
        self._next_index: int | None = None
        self.restarts = 0

    def push(self, first_index: int, envelope: np.ndarray) -> tuple[int, FloatArray, bool]:
        """Add a chunk; returns `(first_row_index, new_rows, restarted_after_a_gap)`."""
        restarted = self._next_index is not None and first_index != self._next_index
        if restarted:
            self.restarts += 1
            self._pending = self._pending[:0]
        if self._pending.shape[0] == 0:
            self._pending_first = first_index
        joined = np.concatenate([self._pending, np.asarray(envelope, dtype=np.float32)])
        row, rows = block_means(joined, self._pending_first, self.factor)
        keep_from = min((row + rows.shape[0]) * self.factor - self._pending_first, joined.shape[0])
        self._pending = joined[keep_from:]
        self._pending_first += keep_from
        self._next_index = first_index + int(envelope.shape[0])
        return row, rows, restarted


def window_starts(n_rows: int, window_rows: int, stride_rows: int) -> npt.NDArray[np.int64]:
    """Start rows of windows of `window_rows` rows every `stride_rows` rows inside `n_rows`."""
    if n_rows < window_rows:
        return np.empty(0, dtype=np.int64)
    return np.arange(0, n_rows - window_rows + 1, stride_rows, dtype=np.int64)


def stack_windows(rows: np.ndarray, starts: np.ndarray, window_rows: int) -> FloatArray:
    """`(windows, window_rows, channels)` copies of the rows starting at each start index."""
    if len(starts) == 0:
        return np.empty((0, window_rows, rows.shape[1]), dtype=np.float32)
    index = np.asarray(starts)[:, None] + np.arange(window_rows)[None, :]
    return np.asarray(rows, dtype=np.float32)[index]
