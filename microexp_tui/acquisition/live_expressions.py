"""Live expression detection inside a recording: fed by the DSP thread, read by the UI.

The DSP thread pushes every filtered block (with its artifact flags and host receive time);
finished expressions go to the writer thread (stored as the session's `live` set) and to a
short feed the screens poll on their timer. The operator-edited montage and the calibration
made during the visit arrive from the UI thread and take effect at the next block.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from microexp_tui.domain.calibration import DetectionLevels
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import Expression
from microexp_tui.dsp.activations import envelope_delay_samples
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.expressions.detector import ExpressionDetector, WindowClassifier

if TYPE_CHECKING:  # onnxruntime is imported only when a recording classifies live
    from microexp_tui.inference.live import LiveClassifier

FEED_ITEMS = 200
"""How many recent expressions the UI feed keeps."""


@dataclass(frozen=True)
class LiveExpression:
    """A detected expression, its number in the session, and how late it was reported."""

    number: int
    expression: Expression
    latency_ms: float
    """Host time from the arrival of the expression's offset sample to its detection."""


class LiveExpressions:
    """The recording's expression detector and the feed of what it found."""

    def __init__(
        self,
        sample_rate_hz: float,
        channel_units: Sequence[Sequence[str]],
        sensor_kinds: Sequence[str],
        filter_settings: FilterSettings,
        classifier: WindowClassifier | None = None,
    ) -> None:
        """Build the detector for the board's montage (adaptive levels until calibrated)."""
        self.rate_hz = float(sample_rate_hz)
        self.detector = ExpressionDetector(
            sample_rate_hz,
            channel_units,
            delay_samples=[envelope_delay_samples(filter_settings, k) for k in sensor_kinds],
            classifier=classifier,
        )
        self._lock = threading.Lock()
        self._feed: deque[LiveExpression] = deque(maxlen=FEED_ITEMS)
        self._count = 0
        self._pending: dict[str, Any] = {}

    # -- from the UI thread ------------------------------------------------------------------

    def configure(
        self,
        *,
        channel_units: Sequence[Sequence[str]] | None = None,
        levels: Sequence[DetectionLevels | None] | None = None,
    ) -> None:
        """Use this montage's action units and/or this calibration from the next block on."""
        with self._lock:
            if channel_units is not None:
                self._pending["channel_units"] = [tuple(units) for units in channel_units]
            if levels is not None:
                self._pending["levels"] = list(levels)

    def since(self, number: int) -> list[LiveExpression]:
        """Expressions numbered above `number` still in the feed, oldest first."""
        with self._lock:
            return [item for item in self._feed if item.number > number]

    @property
    def count(self) -> int:
        """Expressions detected so far in this recording."""
        return self._count

    # -- from the DSP thread -----------------------------------------------------------------

    def push(
        self, first_index: int, filtered: np.ndarray, flags: np.ndarray, receive_time_s: float
    ) -> list[Expression]:
        """Feed one filtered block; return (and publish) the expressions that became final."""
        self._apply_pending()
        found = self.detector.push(first_index, filtered, flags)
        stop_index = first_index + filtered.shape[0]
        self._publish(found, stop_index, receive_time_s)
        return found

    def flush(self) -> list[Expression]:
        """End of recording: the expressions still open."""
        self._apply_pending()
        found = self.detector.flush()
        self._publish(found, self.detector.activations.next_index, time.monotonic())
        return found

    def parameters(self) -> dict[str, Any]:
        """The detector's parameters (stored with the live set)."""
        return self.detector.parameters()

    def _apply_pending(self) -> None:
        """Take over a montage or calibration the UI handed in."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if "channel_units" in pending:
            self.detector.grouper.channel_units = pending["channel_units"]
        if "levels" in pending:
            self.detector.set_levels(pending["levels"])

    def _publish(self, found: list[Expression], stop_index: int, receive_time_s: float) -> None:
        """Number the new expressions and note their latency (paced stream: 1 sample/period)."""
        if not found:
            return
        now = time.monotonic()
        with self._lock:
            for expression in found:
                self._count += 1
                arrived_s = receive_time_s - (stop_index - expression.offset_index) / self.rate_hz
                latency_ms = 1000.0 * (now - arrived_s)
                self._feed.append(LiveExpression(self._count, expression, latency_ms))


def live_expressions(
    montage: Sequence[ChannelSpec],
    filter_settings: FilterSettings,
    classifier: LiveClassifier | None = None,
) -> LiveExpressions:
    """Live detection on a recording's montage, asking its live model (if any) about each one."""
    kinds = [spec.sensor_kind for spec in montage]
    window_classifier = None
    if classifier is not None:
        from microexp_tui.inference.expression_window import ModelWindowClassifier

        live = classifier
        window_classifier = ModelWindowClassifier(
            live.model,
            filter_settings.sample_rate_hz,
            [spec.muscle for spec in montage],
            kinds,
            calibration_of=lambda: live.calibration,
        )
    return LiveExpressions(
        filter_settings.sample_rate_hz,
        [spec.action_units for spec in montage],
        kinds,
        filter_settings,
        window_classifier,
    )
