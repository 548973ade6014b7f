"""Live classification: the latest window of the filtered envelope, every hop, on the sample clock.

The recorder's DSP thread pushes each filtered `(samples, channels)` block with its first
session sample index. The block is averaged down to the model's row rate (see
`windows.py`) and, at every multiple of the hop (default 100 ms) on the session's sample
clock, the last `window_rows` rows are normalised with the participant's calibration and
classified; the displayed probabilities accumulate the raw ones (`evidence.py`). Because the
schedule follows sample indices, not wall time, a live run and a
`reprocess` of the stored session give the same windows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from microexp_tui.domain.calibration import Calibration
from microexp_tui.errors import InputError
from microexp_tui.inference.evidence import EvidenceAccumulator
from microexp_tui.inference.model import EmotionModel, WindowResults
from microexp_tui.inference.prediction import DEFAULT_HOP_MS, Prediction, prediction_records
from microexp_tui.inference.windows import StreamingDecimator

__all__ = ["DEFAULT_HOP_MS", "LiveClassifier", "Prediction", "hop_samples_for"]


def hop_samples_for(hop_ms: float, sample_rate_hz: float) -> int:
    """Hop length in session samples; InputError for a hop shorter than one sample."""
    hop = round(hop_ms * sample_rate_hz / 1000.0)
    if not hop_ms > 0 or hop < 1:
        raise InputError(
            f"The classification hop must be positive and at least one sample; got {hop_ms} ms "
            f"at {sample_rate_hz:g} Hz."
        )
    return hop


class LiveClassifier:
    """Classifies the latest window of a filtered envelope stream at a fixed hop."""

    def __init__(
        self,
        model: EmotionModel,
        sample_rate_hz: float,
        muscles: Sequence[str | None],
        sensor_kinds: Sequence[str],
        hop_ms: float = DEFAULT_HOP_MS,
        calibration: Calibration | None = None,
    ) -> None:
        """Check the montage against the card (ModelError on mismatch) and size the buffers."""
        self.model = model
        self.factor = model.check_montage(muscles, sensor_kinds, sample_rate_hz)
        self.hop_samples = hop_samples_for(hop_ms, sample_rate_hz)
        self.hop_ms = 1000.0 * self.hop_samples / sample_rate_hz
        self.calibration = calibration or model.card.calibration
        self.window_rows = model.card.window_rows
        self._decimator = StreamingDecimator(self.factor, len(muscles))
        self._rows = np.empty((0, len(muscles)), dtype=np.float32)
        self._first_row = 0
        self._next_due = self.hop_samples
        self._last_end_row = -1
        self.latest: Prediction | None = None
        self.accumulator = EvidenceAccumulator(
            model.card.output_classes, model.card.display, self.hop_samples
        )

    @property
    def window_samples(self) -> int:
        """Window length in session samples."""
        return self.window_rows * self.factor

    def push(self, first_index: int, envelope: np.ndarray) -> list[Prediction]:
        """Add a filtered `(samples, channels)` block; return the predictions now due."""
        row, rows, restarted = self._decimator.push(first_index, envelope)
        if restarted or self._rows.shape[0] == 0:
            self._rows, self._first_row = rows, row
        else:
            self._rows = np.concatenate([self._rows, rows])
        end_rows = self._due_window_ends(first_index + int(envelope.shape[0]))
        predictions = self._classify(end_rows)
        keep = self.window_rows
        if self._rows.shape[0] > keep:
            self._first_row += self._rows.shape[0] - keep
            self._rows = self._rows[-keep:]
        if predictions:
            self.latest = predictions[-1]
        return predictions

    def _due_window_ends(self, stop_index: int) -> list[int]:
        """End rows of the latest complete window at each hop instant up to `stop_index`.

        Each window ends at the last row boundary at or before its instant; a row boundary
        is used once (a hop shorter than a row does not repeat windows), and only windows
        wholly inside the buffered rows (none across a gap) count.
        """
        if self._next_due > stop_index:
            return []
        instants = np.arange(self._next_due, stop_index + 1, self.hop_samples)
        self._next_due = int(instants[-1]) + self.hop_samples
        end_rows = np.unique(instants // self.factor)
        buffered_end = self._first_row + self._rows.shape[0]
        usable = (end_rows - self.window_rows >= self._first_row) & (end_rows <= buffered_end)
        usable &= end_rows > self._last_end_row
        chosen = [int(r) for r in end_rows[usable]]
        if chosen:
            self._last_end_row = chosen[-1]
        return chosen

    def _window_results(self, end_rows: list[int]) -> WindowResults:
        """The model's outputs for the windows ending at each row boundary in `end_rows`, in one
        normalised batch (shared by the live path and the offline batch one)."""
        starts = np.asarray(end_rows) - self.window_rows - self._first_row
        index = starts[:, None] + np.arange(self.window_rows)[None, :]
        windows = self.model.card.normalise(self._rows[index], self.calibration)
        return self.model.classify(windows)

    def _classify(self, end_rows: list[int]) -> list[Prediction]:
        """Classify the windows ending at `end_rows` and accumulate their evidence in one batch
        (`update_many`, equal bit for bit to one `update` per window)."""
        if not end_rows:
            return []
        results = self._window_results(end_rows)
        indices = [end * self.factor for end in end_rows]
        shown = self.accumulator.update_many(indices, results.probabilities)
        return prediction_records(
            results.classes,
            indices,
            self.window_samples,
            results.probabilities,
            shown,
            results.activation,
        )
