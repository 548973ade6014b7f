"""A filtered envelope stream resampled to a model's row rate when the rates have no whole ratio.

A session whose rate is a whole multiple of the model's is reduced by block means
(`windows.py`). Any other rate (a legacy rig's 19.6 Hz, an import at 30 Hz or 2048 Hz) is
brought to the model's rate with `scipy.signal.resample_poly`, up/down being the ratio
model_rate / session_rate approximated by a fraction with a denominator of at most
`MAX_DENOMINATOR`. Rows lie on a grid aligned to session sample 0 (row r at session time
r / model_rate), so the rows do not depend on how the stream is cut: each push is resampled
with `margin` samples of context on both sides and only rows that context covers are given
out; a gap (a jump in the session index) ends a run and starts the next one, each run's ends
held at their first and last values so the FIR does not ring at them.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import scipy.signal

from microexp_tui.errors import ModelError

FloatArray = npt.NDArray[np.float32]

MAX_DENOMINATOR = 1000
"""Largest up or down factor of the rational approximation of the rate ratio."""
MAX_RATE_ERROR = 1e-3
"""Largest relative error of the approximated ratio (0.1%: 3.6 s an hour)."""
FILTER_HALF_LENGTH = 10
"""resample_poly's default FIR: 10 x max(up, down) taps on each side at the upsampled rate."""


def rate_ratio(session_rate_hz: float, model_rate_hz: float) -> tuple[int, int]:
    """(up, down) with up / down ~ model_rate / session_rate; ModelError when too far off."""
    exact = model_rate_hz / session_rate_hz
    ratio = Fraction(exact).limit_denominator(MAX_DENOMINATOR)
    if ratio.numerator < 1 or ratio.numerator > MAX_DENOMINATOR:
        ratio = Fraction(1, max(1, round(1 / exact)))
    if ratio.numerator < 1 or abs(float(ratio) - exact) > MAX_RATE_ERROR * exact:
        raise ModelError(
            f"The session samples at {session_rate_hz:g} Hz and the model expects rows at "
            f"{model_rate_hz:g} Hz; no ratio of whole numbers up to {MAX_DENOMINATOR} comes "
            f"within {100 * MAX_RATE_ERROR:g}% of it. Retrain the model at a rate closer to "
            "a simple fraction of the session's."
        )
    return ratio.numerator, ratio.denominator


class StreamingResampler:
    """Model-rate rows of `(samples, channels)` envelope chunks, the same however they are cut."""

    def __init__(self, up: int, down: int, channels: int) -> None:
        """Resample by up/down; keep enough input on each side for the FIR to settle."""
        self.up, self.down = up, down
        self.channels = channels
        self.margin = math.ceil(FILTER_HALF_LENGTH * max(up, down) / up) + down
        """Input samples of context each side of a row (the FIR's half-length, and more)."""
        self._buffer = np.empty((0, channels), dtype=np.float32)
        self._first = 0
        """Session index of `_buffer[0]`, a multiple of `down` (so rows land on the grid)."""
        self._next_row = 0
        self._next_index: int | None = None

    def push(self, first_index: int, envelope: npt.ArrayLike) -> list[tuple[int, FloatArray]]:
        """Add a chunk; return `(first_row, rows)` runs now final (a gap closes the last run)."""
        values = np.asarray(envelope, dtype=np.float32)
        out: list[tuple[int, FloatArray]] = []
        if self._next_index is not None and first_index != self._next_index:
            out += self.flush()
        if self._next_index is None:
            self._start(first_index, values[:1])
        self._buffer = np.concatenate([self._buffer, values])
        self._next_index = first_index + values.shape[0]
        out += self._emit(self._next_index - self.margin)
        return [run for run in out if run[1].shape[0]]

    def flush(self) -> list[tuple[int, FloatArray]]:
        """End of a run (a gap or the end of the stream): every row up to its last sample."""
        if self._next_index is None:
            return []
        tail = np.repeat(self._buffer[-1:], self.margin, axis=0)
        self._buffer = np.concatenate([self._buffer, tail])
        out = self._emit(self._next_index)
        self._next_index = None
        self._buffer = self._buffer[:0]
        return [run for run in out if run[1].shape[0]]

    def session_index(self, row: int) -> int:
        """The session sample index of a row boundary."""
        return round(row * self.down / self.up)

    def _start(self, first_index: int, first_row: np.ndarray) -> None:
        """Begin a run: hold the first value back for `margin` samples, to a multiple of `down`."""
        self._first = ((first_index - self.margin) // self.down) * self.down
        pad = first_index - self._first
        self._buffer = np.repeat(first_row, pad, axis=0).reshape(pad, self.channels)
        self._next_row = -(-first_index * self.up // self.down)

    def _emit(self, usable_stop: int) -> list[tuple[int, FloatArray]]:
        """Rows whose session time is before `usable_stop`, then drop input no longer needed."""
        stop_row = (max(usable_stop, self._first) * self.up) // self.down
        if stop_row <= self._next_row or self._buffer.shape[0] == 0:
            return []
        resampled = scipy.signal.resample_poly(self._buffer, self.up, self.down, axis=0)
        offset = self._first * self.up // self.down
        rows = np.asarray(resampled[self._next_row - offset : stop_row - offset], dtype=np.float32)
        first_row = self._next_row
        self._next_row = first_row + rows.shape[0]
        keep_from = self._next_row * self.down // self.up - 2 * self.margin
        drop = max(0, (keep_from - self._first) // self.down * self.down)
        self._buffer = self._buffer[drop:]
        self._first += drop
        return [(first_row, rows)]
