"""Recording: the stimulus protocol with live traces, probabilities, expressions and counters."""

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

from microexp_tui.acquisition.live_expressions import LiveExpression
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.markers import MARKER_OPERATOR_BASE
from microexp_tui.domain.sessions import ProtocolProgress
from microexp_tui.inference.normalisation import normalise
from microexp_tui.session_flow.live import Feed, LiveView
from microexp_tui.session_flow.protocol_run import ProtocolRun, RunStatus
from microexp_tui.study.media import open_media
from microexp_tui.study.protocols import Protocol
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
        "and the facial expressions detected (µ: micro-expression, 500 ms or less; their action "
        "units and likely emotion), each shown about 0.1-0.2 s after it ends. If the board is "
        "lost, a red banner shows, the protocol pauses, the program reconnects by itself and "
        "the gap is recorded. Abort (esc) asks first and keeps everything recorded."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "start_pause", "Start/pause", tooltip="Start, pause or resume"),
        Binding("1", "marker(1)", "Marker", key_display="1-9", tooltip="Operator marker 1-9"),
        *[Binding(str(n), f"marker({n})", f"Marker {n}", show=False) for n in range(2, 10)],
        Binding("escape", "abort", "Abort session"),
    ]

    def __init__(
        self,
        feed: Feed,
        montage: Sequence[ChannelSpec],
        protocol: Protocol,
        start_block: int = 0,
        calibration: Calibration | None = None,
        checks: Sequence[ElectrodeCheck] = (),
    ) -> None:
        """Play `protocol` from `start_block` on `feed`, showing traces with `calibration`."""
        super().__init__(feed, montage)
        self.checks = list(checks)
        fits = calibration is not None and calibration.count == len(montage)
        self.calibration = calibration if fits else None
        self.run = ProtocolRun(protocol, feed.rate_hz, start_block)
        self.last_expression: int | None = None
        """Number of the newest expression shown (None until the first tick)."""
        self.log_lines: deque[str] = deque(maxlen=EVENT_LINES)
        self.auto_paused = False
        self.saved_blocks = -1
        self.model_problem_told = False

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
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Titles, then the timer."""
        self.query_one("#probs").border_title = "Emotion"
        self.query_one("#events").border_title = "Expressions"
        self.query_one("#events", LiveStatic).show("none yet")
        super().on_mount()

    # -- every tick --------------------------------------------------------------------------

    def show_traces(self, view: LiveView) -> None:
        """Traces as a share of each muscle's calibrated maximum (raw counts without one)."""
        from microexp_tui.tui.screens.live_base import trace_channels

        channels = trace_channels(self.montage, self.checks)
        if self.calibration is not None:
            values = np.maximum(normalise(view.traces, self.calibration), np.float32(0.0))
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
        self.tell_model_problem(view.model_problem)
        self.save_progress_if_moved()
        if self.run.started and self.run.done:
            self.stop_session("completed")

    def tell_model_problem(self, problem: str | None) -> None:
        """Say once, as a notice, why live emotions are off (the panel keeps saying it)."""
        if problem and not self.model_problem_told:
            self.model_problem_told = True
            self.notify(f"Live emotions off: {problem}", severity="warning", timeout=12)

    def show_status(self) -> None:
        """The instruction panel from the protocol's state."""
        status = self.run.status()
        kind, text = instruction_of(status)
        remaining = None if status.phase in ("ready", "done") else status.remaining_s
        self.query_one(InstructionPanel).show(kind, text, remaining, status.progress)

    def detect(self, view: LiveView) -> None:
        """Show the expressions the recorder detected since the last tick (stored by it)."""
        newest = max((item.number for item in view.expressions), default=0)
        if self.last_expression is None:  # at first, those within the traces shown
            fresh = [x for x in view.expressions if x.expression.onset_index >= view.first_index]
        else:
            fresh = [x for x in view.expressions if x.number > self.last_expression]
        for item in fresh:
            self.log_lines.appendleft(expression_line(item))
        self.last_expression = newest
        if fresh:
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
        self.save_progress(self.progress(state))

    @work(thread=True, exit_on_error=False, group="save_the_protocol_progress")
    def save_progress(self, progress: ProtocolProgress) -> None:
        """Store the protocol's progress (worker thread; the recorder stores expressions)."""
        if self.feed.session_id is None:
            return
        self.mx.store.set_progress(self.feed.session_id, progress)

    def before_stop(self, status: str) -> None:
        """Save the final progress before the recorder stops."""
        if self.feed.session_id is None or not self.run.started:
            return
        state = "completed" if self.run.done else "aborted"
        self.mx.store.set_progress(self.feed.session_id, self.progress(state))


def expression_line(item: LiveExpression) -> str:
    """One log line: onset, µ for micro, duration, emotion, then the action units (last, so a
    narrow panel cuts only their tail, with an ellipsis)."""
    x = item.expression
    units = "+".join(unit.removeprefix("AU") for unit in x.action_units) or "-"
    emotion = x.emotion or "?"
    return (
        f"{x.onset_s:5.1f}s{'µ' if x.kind == 'micro' else ' '}{x.duration_ms:>4.0f}ms "
        f"{emotion:<8} AU{units}"
    )
