"""Expressions from a filtered envelope stream: activations, grouping and emotion, in one object.

`ExpressionDetector.push` takes what the recorder's DSP thread has (a filtered
`(samples, channels)` block, its first session index and the artifact flags) and returns the
expressions that became final: every activation that could still join them has closed. Live
recording feeds it ~20 ms blocks and offline analysis feeds it whole stretches of a stored
session; both get the same expressions.

The optional classifier sees, for each expression, the window of `window_samples` of the
filtered envelope centred on the apex (ending no later than the strongest activation's end),
so a model trained on 500 ms windows looks at the expression itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import DetectionLevels
from microexp_tui.domain.expressions import Activation, Expression
from microexp_tui.dsp.activations import ActivationDetector, ActivationSettings
from microexp_tui.expressions.grouping import ExpressionGrouper, GroupingSettings


class WindowClassifier(Protocol):
    """Emotion probabilities of one window of the filtered envelope (e.g. an ONNX model)."""

    @property
    def window_samples(self) -> int:
        """Window length in session samples."""
        ...

    @property
    def name(self) -> str:
        """Identifies the model in stored detector parameters."""
        ...

    def probabilities(self, envelope: npt.NDArray[np.floating]) -> Mapping[str, float]:
        """Probability of each emotion for a `(window_samples, channels)` window."""
        ...


class _History:
    """Filtered blocks by session index, kept while a pending expression may need them."""

    def __init__(self) -> None:
        """Start empty."""
        self.blocks: deque[tuple[int, npt.NDArray[np.floating]]] = deque()

    def add(self, first_index: int, values: npt.NDArray[np.floating]) -> None:
        """Append a block."""
        self.blocks.append((first_index, values))

    def forget_before(self, index: int) -> None:
        """Drop blocks that end at or before `index`."""
        while self.blocks and self.blocks[0][0] + self.blocks[0][1].shape[0] <= index:
            self.blocks.popleft()

    def window(self, start: int, stop: int) -> npt.NDArray[np.floating] | None:
        """Rows [start, stop) if all of them are held (no gap), else None."""
        parts = []
        expected = start
        for first, values in self.blocks:
            lo, hi = max(start, first), min(stop, first + values.shape[0])
            if hi <= lo:
                continue
            if lo != expected:
                return None
            parts.append(values[lo - first : hi - first])
            expected = hi
        return np.concatenate(parts) if parts and expected == stop else None


class ExpressionDetector:
    """Streaming expression detection over filtered envelope blocks (live and offline)."""

    def __init__(
        self,
        sample_rate_hz: float,
        channel_units: Sequence[Sequence[str]],
        *,
        levels: Sequence[DetectionLevels | None] | None = None,
        delay_samples: int | Sequence[int] = 0,
        activation_settings: ActivationSettings | None = None,
        grouping_settings: GroupingSettings | None = None,
        classifier: WindowClassifier | None = None,
        min_on: Sequence[float] | None = None,
    ) -> None:
        """One channel per entry of `channel_units` (the AUs of its muscle, empty if none).

        `min_on` is each channel's smallest on-threshold rise (`ActivationDetector`).
        """
        self.activations = ActivationDetector(
            sample_rate_hz,
            len(channel_units),
            activation_settings,
            levels,
            delay_samples,
            min_on,
        )
        self.classifier = classifier
        self.grouper = ExpressionGrouper(
            sample_rate_hz,
            channel_units,
            grouping_settings,
            self._classify if classifier is not None else None,
        )
        self._history = _History()

    def set_levels(self, levels: Sequence[DetectionLevels | None] | None) -> None:
        """Use a calibration from the next block on (e.g. made during the recording)."""
        self.activations.set_levels(levels)

    def push(
        self,
        first_index: int,
        envelope: npt.ArrayLike,
        flags: npt.ArrayLike | None = None,
    ) -> list[Expression]:
        """Feed a filtered block; return the expressions that became final, in onset order."""
        values = np.asarray(envelope, dtype=np.float64)
        if self.classifier is not None:
            self._history.add(first_index, values)
        self.grouper.add(self.activations.push(first_index, values, flags))
        found = self.grouper.ready(self.activations.watermark)
        if self.classifier is not None:  # keep what windows of pending expressions may need
            oldest = min([self.activations.watermark, *self.grouper.pending_onsets()])
            margin = self.classifier.window_samples + int(self.activations.delays.max())
            self._history.forget_before(oldest - margin)
        return found

    def flush(self) -> list[Expression]:
        """End of stream: every remaining expression."""
        self.grouper.add(self.activations.flush())
        return self.grouper.flush()

    def parameters(self) -> dict[str, Any]:
        """Detector parameters and versions as plain JSON (stored with each run)."""
        return {
            "activations": self.activations.settings.as_json(),
            "grouping": self.grouper.settings.as_json(),
            "delay_samples": [int(d) for d in self.activations.delays],
            "min_on": [float(f) for f in self.activations.min_on],
            "calibrated_channels": [
                index
                for index, level in enumerate(self.activations.calibrated_levels)
                if level is not None
            ],
            "classifier": self.classifier.name if self.classifier is not None else None,
        }

    def _classify(self, activations: Sequence[Activation]) -> Mapping[str, float] | None:
        """Classifier probabilities on the window around the strongest activation's apex."""
        assert self.classifier is not None
        width = self.classifier.window_samples
        delays = self.activations.delays
        strongest = max(activations, key=lambda a: a.peak_counts)
        apex = strongest.apex_index + int(delays[strongest.channel_index])
        end = max(a.offset_index + int(delays[a.channel_index]) for a in activations)
        stop = min(apex + width // 2, end)
        window = self._history.window(stop - width, stop)
        if window is None:
            return None
        return self.classifier.probabilities(window)
