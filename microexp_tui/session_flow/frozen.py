"""A stored session shown as if live, frozen at one sample: for previews and exact screenshots.

The stored raw counts are filtered with the same streaming filters the recorder uses,
so the traces look exactly as they did live; the clock never moves.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from microexp_tui.acquisition.live_expressions import LiveExpression
from microexp_tui.acquisition.recorder import RecordingSummary
from microexp_tui.domain.calibration import Calibration
from microexp_tui.dsp.artifacts import StreamingArtifactDetector
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.session_flow.live import LiveView
from microexp_tui.session_flow.predictions import LivePrediction
from microexp_tui.store.sessions import SessionStore


class FrozenFeed:
    """The `Feed` of a stored session at `at_index`: the same view on every tick."""

    def __init__(
        self,
        store: SessionStore,
        session_id: int,
        at_index: int | None = None,
        *,
        connected: bool = True,
        prediction: LivePrediction | None = None,
        mains_hz: float = 50.0,
    ) -> None:
        """Read and filter the session up to `at_index` (default: its end)."""
        record = store.session(session_id)
        self.session_id: int | None = session_id
        self.montage = list(record.channels)
        self._rate_hz = record.sample_rate_hz
        self._simulated = record.simulated
        self._connected = connected
        self._prediction = prediction
        self._counters = dict(record.counters)
        stop = record.samples_per_channel if at_index is None else at_index
        counts = store.read_samples(session_id, 0, stop).filled(0)
        kinds = [spec.sensor_kind for spec in self.montage]
        settings = FilterSettings(sample_rate_hz=float(self._rate_hz), mains_hz=mains_hz)
        working = WorkingUnits.of_session(self.montage, record.source, record.sample_format)
        self._filtered = working.filter_bank(kinds, settings).process(working.convert(counts))
        detector = (
            StreamingArtifactDetector(float(self._rate_hz), len(kinds), sensor_kinds=kinds)
            if record.source == "board"
            else StreamingArtifactDetector.for_imported(
                float(self._rate_hz), self.montage, record.sample_format
            )
        )
        self._flags = detector.process(counts)
        self._stop = stop
        found = store.expressions(session_id)
        self._expressions = tuple(
            LiveExpression(number, x, 0.0)
            for number, x in enumerate((x for x in found if x.offset_index <= stop), start=1)
        )

    @property
    def rate_hz(self) -> float:
        """Sample rate in Hz."""
        return self._rate_hz

    @property
    def simulated(self) -> bool:
        """Whether the stored session came from the simulated board."""
        return self._simulated

    @property
    def running(self) -> bool:
        """Always: a frozen session never ends on its own."""
        return True

    def now_index(self) -> int:
        """The frozen instant."""
        return self._stop

    def connected(self) -> bool:
        """As configured."""
        return self._connected

    def mark(self, code: int) -> None:
        """Markers cannot be added to a stored session: ignored."""

    def window(self, start_index: int, stop_index: int) -> npt.NDArray[np.float32]:
        """Filtered samples [start, stop)."""
        return self._filtered[max(0, start_index) : max(0, stop_index)]

    def view(self, window_s: float) -> LiveView:
        """The last `window_s` seconds before the frozen instant."""
        first = max(0, self._stop - int(window_s * self._rate_hz))
        return LiveView(
            rate_hz=self._rate_hz,
            first_index=first,
            traces=self._filtered[first : self._stop],
            flags=self._flags[first : self._stop],
            next_index=self._stop,
            connected=self._connected,
            counters=self._counters,
            prediction=self._prediction,
            expressions=self._expressions,
        )

    def set_calibration(self, calibration: Calibration) -> None:
        """A stored session is neither classified nor detected live: ignored."""

    def stop(self, status: str) -> RecordingSummary | None:
        """Nothing to stop."""
        return None
