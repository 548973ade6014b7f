"""A live session: the recorder on a board plus what the screens read on their timer.

`start` and `stop` are slow (port, handshake, thread joins) and belong in worker threads;
`view`, `window` and `mark` are cheap copies from the ring buffer for the UI timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from microexp_tui.acquisition.live_expressions import LiveExpression
from microexp_tui.acquisition.recorder import Recorder, RecordingOptions, RecordingSummary
from microexp_tui.device.protocol import Identity
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.errors import MicroexpError, ModelError
from microexp_tui.inference.model import EmotionModel
from microexp_tui.session_flow.board import ConnectedBoard
from microexp_tui.session_flow.predictions import (
    LivePrediction,
    apply_calibration,
    classification_problem,
    latest_prediction,
)
from microexp_tui.store.sessions import SessionStore

RING_S = 30.0


@dataclass(frozen=True)
class LiveView:
    """What a live screen shows at one tick: traces, clock, link state, counters, prediction."""

    rate_hz: float
    first_index: int
    traces: npt.NDArray[np.float32]
    """Filtered envelopes, (samples, channels), newest last."""
    flags: npt.NDArray[np.uint8]
    next_index: int
    connected: bool
    counters: dict[str, int] = field(default_factory=dict)
    prediction: LivePrediction | None = None
    model_problem: str | None = None
    """Why there are no live predictions although a model was chosen."""
    error: str | None = None
    expressions: tuple[LiveExpression, ...] = ()
    """The recording's latest detected expressions (numbered; screens show the new ones)."""

    @property
    def time_s(self) -> float:
        """Seconds of sample time since the session started."""
        return self.next_index / self.rate_hz if self.rate_hz else 0.0


class Feed(Protocol):
    """What live screens read: a LiveSession, or a stored session frozen at one instant."""

    session_id: int | None
    montage: list[ChannelSpec]

    @property
    def rate_hz(self) -> float:
        """Sample rate in Hz."""
        ...

    @property
    def simulated(self) -> bool:
        """Whether the data come from the simulated board."""
        ...

    @property
    def running(self) -> bool:
        """Whether data are still coming."""
        ...

    def now_index(self) -> int:
        """Absolute index one past the newest filtered sample."""
        ...

    def connected(self) -> bool:
        """Whether the board is connected."""
        ...

    def mark(self, code: int) -> None:
        """Queue a marker."""
        ...

    def window(self, start_index: int, stop_index: int) -> npt.NDArray[np.float32]:
        """Filtered samples [start, stop)."""
        ...

    def view(self, window_s: float) -> LiveView:
        """The newest `window_s` seconds and the state."""
        ...

    def stop(self, status: str) -> RecordingSummary | None:
        """Stop recording (slow)."""
        ...

    def set_calibration(self, calibration: Calibration) -> None:
        """Give live classification and expression detection the participant's calibration."""
        ...


class LiveSession:
    """The recorder of one session, with its own store connection for the writer thread."""

    def __init__(
        self,
        board: ConnectedBoard,
        db_path: Path,
        options: RecordingOptions,
        montage: Sequence[ChannelSpec],
        model_path: Path | None = None,
    ) -> None:
        """Prepare; `start` opens the board, loads the model and creates the session."""
        self.board = board
        self.model_path = model_path
        self.model_problem: str | None = None
        self.db_path = db_path
        self.options = options
        self.montage = list(montage)
        self.store: SessionStore | None = None
        self.recorder: Recorder | None = None
        self.session_id: int | None = None
        self.summary: RecordingSummary | None = None

    @property
    def identity(self) -> Identity:
        """The board's identity (after `start`)."""
        assert self.recorder is not None and self.recorder.identity is not None
        return self.recorder.identity

    @property
    def rate_hz(self) -> float:
        """Sample rate in Hz."""
        return self.identity.sample_rate_hz

    @property
    def simulated(self) -> bool:
        """Whether the data comes from the simulated board."""
        return bool(self.identity.simulated)

    def start(self) -> int:
        """Open the board, create the session with the edited montage; returns its id (slow)."""
        self.options.ring_s = max(self.options.ring_s, RING_S)
        self.options.model = self._load_model()
        self.store = SessionStore.open(self.db_path)
        try:
            self.session_id = self._start_recorder()
        except ModelError as err:  # the model does not fit this montage: record without it
            self.model_problem = str(err)
            self.options.model = None
            self.session_id = self._start_recorder()
        actor = self.options.operator or "operator"
        self.store.set_montage(self.session_id, self.montage, actor)
        if self.recorder is not None and self.recorder.expressions is not None:
            units = [spec.action_units for spec in self.montage]
            self.recorder.expressions.configure(channel_units=units)
        return self.session_id

    def _load_model(self) -> EmotionModel | None:
        """The chosen live model, or None (a model that cannot load is reported, not fatal)."""
        if self.model_path is None:
            return None
        try:
            return EmotionModel.load(self.model_path)
        except ModelError as err:
            self.model_problem = str(err)
            return None

    def _start_recorder(self) -> int:
        """Start a recorder on a fresh source; closes what it opened if that fails."""
        assert self.store is not None
        source = self.board.source()
        self.recorder = Recorder(source, self.store, self.options)
        try:
            return self.recorder.start()
        except ModelError:
            source.close()
            raise
        except BaseException as err:
            if isinstance(err, MicroexpError) and self.recorder.session_id is not None:
                self.recorder.failed_start(err)  # the session it created is marked interrupted
            source.close()
            self.store.close()
            self.store, self.recorder = None, None
            raise

    @property
    def running(self) -> bool:
        """Started and neither stopped nor stopped by an error."""
        return self.recorder is not None and self.summary is None and not self.recorder.stopping

    def now_index(self) -> int:
        """Session index of the next sample the reader expects (the UI's protocol clock).

        The reader's index, not the ring buffer's: after a reconnection it already includes
        the gap, so a resumed protocol does not see the lost time as elapsed block time.
        """
        if self.recorder is None:
            return 0
        return self.recorder.samples_received()

    def connected(self) -> bool:
        """Whether the board is connected right now."""
        return self.recorder is not None and self.recorder.connected.is_set()

    def mark(self, code: int) -> None:
        """Queue a marker for the board to apply at its current sample."""
        if self.recorder is not None and self.running:
            self.recorder.mark(code)

    def window(self, start_index: int, stop_index: int) -> npt.NDArray[np.float32]:
        """Filtered samples [start, stop) still in the ring, (samples, channels)."""
        assert self.recorder is not None and self.recorder.ring is not None
        ring = self.recorder.ring
        first, values, _ = ring.latest(max(0, ring.next_index - start_index))
        lo = max(0, start_index - first)
        return values[lo : max(lo, stop_index - first)]

    def view(self, window_s: float) -> LiveView:
        """The newest `window_s` seconds and the current state (cheap: one ring copy)."""
        recorder = self.recorder
        assert recorder is not None and recorder.ring is not None
        rate = self.rate_hz
        first, values, flags = recorder.ring.latest(int(window_s * rate))
        return LiveView(
            rate_hz=rate,
            first_index=first,
            traces=values,
            flags=flags,
            next_index=first + values.shape[0],
            connected=recorder.connected.is_set(),
            counters=recorder.all_counters(),
            prediction=latest_prediction(recorder),
            model_problem=self.model_problem or classification_problem(recorder),
            error=str(recorder.error) if recorder.error else None,
            expressions=tuple(recorder.expressions.since(0)) if recorder.expressions else (),
        )

    def set_calibration(self, calibration: Calibration) -> None:
        """Classify (if a model runs) and detect expressions with this calibration from now on."""
        if self.recorder is None:
            return
        apply_calibration(self.recorder, calibration)
        if self.recorder.expressions is not None:
            self.recorder.expressions.configure(levels=calibration.detection_levels())

    def stop(self, status: str) -> RecordingSummary:
        """Stop the recorder, mark the session, close the board (slow; idempotent)."""
        if self.summary is None and self.recorder is not None:
            self.summary = self.recorder.stop(status)
        self.board.close()
        if self.store is not None:
            self.store.close()
            self.store = None
        assert self.summary is not None
        return self.summary
