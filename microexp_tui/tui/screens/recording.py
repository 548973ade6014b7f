"""Recording: the stimulus protocol with live traces, probabilities, muscle events and counters."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header

from microexp_tui.acquisition.calibration import ChannelNorm, normalise
from microexp_tui.acquisition.montages import short_muscle
from microexp_tui.acquisition.muscle_events import DetectedEvent, MuscleEventDetector, thresholds
from microexp_tui.acquisition.protocols import Protocol
from microexp_tui.domain import MARKER_OPERATOR_BASE
from microexp_tui.session_flow.live import Feed, LiveView
from microexp_tui.session_flow.media import open_media
from microexp_tui.session_flow.protocol_run import ProtocolRun, RunStatus
from microexp_tui.store import session_extras as extras
from microexp_tui.store.records import ChannelSpec
from microexp_tui.store.session_extras import ElectrodeCheck, MuscleEvent, ProtocolProgress
from microexp_tui.tui.screens.live_base import LiveScreen
from microexp_tui.tui.widgets.panels import (
    InstructionPanel,
    LinkBanner,
    LiveStatic,
    probability_text,
)
from microexp_tui.tui.widgets.trace import TraceView

EVENT_LINES = 12
PHASE_TITLES = {
    "ready": "READY",
    "show": "",
    "isi": "BETWEEN STIMULI",
    "paused": "PAUSED",
    "done": "DONE",
}


def instruction_of(status: RunStatus) -> tuple[str, str]:
    """(kind line, instruction text) for the panel."""
    block = status.block
    where = f"block {status.block_number}/{status.blocks_total}"
    if status.phase == "done" or block is None:
        return "DONE", "Protocol finished: saving the session"
    if status.phase == "ready":
        return f"READY · {where}", "Press space to start the protocol"
    if status.phase == "paused":
        return f"PAUSED · {where}", "Press space to resume (the block starts again)"
    if status.phase == "isi":
        return f"BETWEEN STIMULI · next {where}", "Relax"
    kind = block.kind.upper()
    target = f" · target {block.emotion}" if block.emotion else ""
    return f"{kind}{target} · {where}", block.text or block.kind


class RecordingScreen(LiveScreen):
    """Runs the protocol; the operator can pause, mark, and abort (with confirmation)."""

    TITLE = "Recording"
    HELP = (
        "Space starts the protocol, then pauses and resumes it; a stimulus interrupted by a "
        "pause starts again from its onset. Keys 1-9 put an operator marker at the current "
        "sample. The right panel shows the live emotion probabilities (when a model is loaded) "
        "and short muscle events (micro: under 500 ms). If the board is lost, a red banner "
        "shows, the protocol pauses, the program reconnects by itself and the gap is recorded. "
        "Abort (esc) asks first and keeps everything recorded."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "start_pause", "Start/pause/resume"),
        Binding("1", "marker(1)", "Marker 1-9"),
        *[Binding(str(n), f"marker({n})", f"Marker {n}", show=False) for n in range(2, 10)],
        Binding("escape", "abort", "Abort session"),
    ]

    def __init__(
        self,
        feed: Feed,
        montage: Sequence[ChannelSpec],
        protocol: Protocol,
        start_block: int = 0,
        norms: Sequence[ChannelNorm] = (),
        checks: Sequence[ElectrodeCheck] = (),
    ) -> None:
        """Play `protocol` from `start_block` on `feed`, normalising with `norms`."""
        super().__init__(feed, montage)
        self.checks = list(checks)
        self.norms = list(norms) if len(norms) == len(montage) else []
        self.run = ProtocolRun(protocol, feed.rate_hz, start_block)
        self.detector = MuscleEventDetector(
            feed.rate_hz, thresholds(self.norms or None, len(self.montage))
        )
        self.log_lines: deque[str] = deque(maxlen=EVENT_LINES)
        self.pending_events: list[MuscleEvent] = []
        self.auto_paused = False
        self.saved_blocks = -1

    def compose(self) -> ComposeResult:
        """Banner, instruction, traces, probabilities and events, counters."""
        yield Header()
        yield LinkBanner("")
        yield InstructionPanel()
        with Horizontal(classes="live-main"):
            yield TraceView()
            with Vertical(id="side"):
                yield LiveStatic("", id="probs")
                yield LiveStatic("", id="events")
        yield LiveStatic("", id="counters")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Titles, then the timer."""
        self.query_one("#probs").border_title = "Emotion"
        self.query_one("#events").border_title = "Muscle events"
        self.query_one("#events", LiveStatic).show("none yet")
        super().on_mount()

    # -- every tick --------------------------------------------------------------------------

    def show_traces(self, view: LiveView) -> None:
        """Traces as a share of each muscle's calibrated maximum (raw counts without one)."""
        from microexp_tui.tui.screens.live_base import trace_channels

        channels = trace_channels(self.montage, self.checks)
        if self.norms:
            values = normalise(view.traces, self.norms).astype(np.float32)
            scales = np.ones(len(self.montage))
            self.query_one(TraceView).show(values, view.flags, channels, scales, unit="%")
        else:
            self.query_one(TraceView).show(view.traces, view.flags, channels)

    def on_tick(self, view: LiveView) -> None:
        """Advance the protocol, detect events, refresh the side panels."""
        before = self.run.position
        for marker in self.run.tick(view.next_index):
            self.feed.mark(marker.code)
        if self.run.position != before and not self.run.done:
            self.block_started()
        self.detect(view)
        self.show_status()
        self.query_one("#probs", LiveStatic).show(
            probability_text(view.prediction, self.mx.settings.model, view.model_problem)
        )
        self.save_progress_if_moved()
        if self.run.started and self.run.done:
            self.stop_session("completed")

    def show_status(self) -> None:
        """The instruction panel from the protocol's state."""
        status = self.run.status()
        kind, text = instruction_of(status)
        remaining = None if status.phase in ("ready", "done") else status.remaining_s
        self.query_one(InstructionPanel).show(kind, text, remaining, status.progress)

    def detect(self, view: LiveView) -> None:
        """Run the event detector over the samples not seen yet."""
        start = max(self.detector.next_index, view.first_index)
        if start >= view.next_index:
            return
        block = view.traces[start - view.first_index :]
        for event in self.detector.process(start, block):
            self.log_event(event)

    def log_event(self, event: DetectedEvent) -> None:
        """Add a detected event to the log and to what will be saved."""
        rate = self.feed.rate_hz
        micro = event.is_micro(rate)
        self.pending_events.append(
            MuscleEvent(event.channel_index, event.start_index, event.stop_index, event.peak, micro)
        )
        spec = self.montage[event.channel_index]
        if self.norms:
            norm = self.norms[event.channel_index]
            peak = f"{100 * (event.peak - norm.baseline) / norm.span:>4.0f}%"
        else:
            peak = f"{event.peak:>4.0f}c"
        line = (
            f"{event.start_index / rate:6.1f}s {short_muscle(spec.muscle, 8):<8} "
            f"{event.duration_ms(rate):>4.0f}ms{'µ' if micro else ' '}{peak}"
        )
        self.log_lines.appendleft(line)
        self.query_one("#events", LiveStatic).show("\n".join(self.log_lines))

    def block_started(self) -> None:
        """A new block is on: open its media when it has some."""
        status = self.run.status()
        block = status.block
        if block is not None and block.media and self.mx.settings.open_media:
            protocol_dir = self.run.protocol.path.parent if self.run.protocol.path else None
            self.log_lines.appendleft(open_media(block.media, protocol_dir))

    # -- protocol control ----------------------------------------------------------------------

    def action_start_pause(self) -> None:
        """Start, pause or resume the protocol."""
        now = self.feed.now_index()
        if not self.run.started:
            markers = self.run.start(now)
            self.block_started()
        elif self.run.running:
            markers = self.run.pause(now)
            self.auto_paused = False
        else:
            markers = self.run.resume(now)
        for marker in markers:
            self.feed.mark(marker.code)
        self.show_status()
        self.save_progress_if_moved(force=True)

    def on_link_changed(self, connected: bool) -> None:
        """Pause while the board is lost; resume by itself when it is back."""
        now = self.feed.now_index()
        if not connected and self.run.running:
            for marker in self.run.pause(now):
                self.feed.mark(marker.code)
            self.auto_paused = True
            self.log_lines.appendleft(f"{now / self.feed.rate_hz:6.1f}s board lost: paused")
        elif connected and self.auto_paused:
            self.auto_paused = False
            for marker in self.run.resume(now):
                self.feed.mark(marker.code)
            self.log_lines.appendleft(f"{now / self.feed.rate_hz:6.1f}s board back: resumed")
        self.query_one("#events", LiveStatic).show("\n".join(self.log_lines))

    def action_marker(self, number: int) -> None:
        """Put operator marker `number` at the current sample."""
        self.feed.mark(MARKER_OPERATOR_BASE + number)
        now_s = self.feed.now_index() / self.feed.rate_hz
        self.log_lines.appendleft(f"{now_s:6.1f}s operator marker {number}")
        self.query_one("#events", LiveStatic).show("\n".join(self.log_lines))

    def action_abort(self) -> None:
        """Abort the session (asks first)."""
        self.confirm_abort()

    # -- saving ------------------------------------------------------------------------------

    def progress(self, state: str) -> ProtocolProgress:
        """The protocol's progress as stored."""
        return ProtocolProgress(
            self.run.protocol.name,
            self.run.blocks_total,
            self.run.blocks_done,
            self.run.start_index,
            state,
        )

    def save_progress_if_moved(self, force: bool = False) -> None:
        """Save progress and events when a block finished (or when forced)."""
        if not self.run.started or (self.run.blocks_done == self.saved_blocks and not force):
            return
        self.saved_blocks = self.run.blocks_done
        state = "running" if self.run.running or self.run.done else "paused"
        events, self.pending_events = self.pending_events, []
        self.save_progress(self.progress(state), events)

    @work(thread=True, exit_on_error=False, group="save_the_protocol_progress")
    def save_progress(self, progress: ProtocolProgress, events: list[MuscleEvent]) -> None:
        """Store progress and detected events (worker thread)."""
        if self.feed.session_id is None:
            return
        extras.set_progress(self.mx.store, self.feed.session_id, progress)
        extras.save_muscle_events(self.mx.store, self.feed.session_id, events)

    def before_stop(self, status: str) -> None:
        """Save the final progress and the last events before the recorder stops."""
        if self.feed.session_id is None or not self.run.started:
            return
        state = "completed" if self.run.done else "aborted"
        extras.set_progress(self.mx.store, self.feed.session_id, self.progress(state))
        extras.save_muscle_events(self.mx.store, self.feed.session_id, self.pending_events)
        self.pending_events = []
