"""What the live screens share: the ring-buffer timer, traces, link banner, timed steps, abort."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from textual import work
from textual.message import Message

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.session_flow.live import Feed, LiveView
from microexp_tui.session_flow.steps import Step, StepRunner, StepWindow
from microexp_tui.study.montages import short_muscle
from microexp_tui.tui.screens.base import FlowScreen
from microexp_tui.tui.widgets.panels import (
    InstructionPanel,
    LinkBanner,
    LiveStatic,
    counters_text,
)
from microexp_tui.tui.widgets.trace import TraceChannel, TraceView

STEP_TITLES = {"rest": "REST", "contract": "CONTRACT", "relax": "BETWEEN CONTRACTIONS"}
"""The panel's kind line for each timed step (its text line says what to do)."""


class SessionStopped(Message):
    """The recorder stopped and the session has its final status."""

    def __init__(self, session_id: int | None, status: str) -> None:
        """Carry the session id and status."""
        super().__init__()
        self.session_id = session_id
        self.status = status


def trace_channels(
    montage: Sequence[ChannelSpec], checks: Sequence[ElectrodeCheck]
) -> list[TraceChannel]:
    """Labels (number + short muscle) and electrode-check grades of the channels."""
    grades = {check.channel_index: check.grade for check in checks}
    return [
        TraceChannel(f"{spec.index + 1} {short_muscle(spec.muscle)}", grades.get(spec.index, ""))
        for spec in montage
    ]


class LiveScreen(FlowScreen):
    """A screen fed by the ring buffer on a 10-30 Hz timer; never blocks on the board."""

    def __init__(self, feed: Feed, montage: Sequence[ChannelSpec]) -> None:
        """Remember the feed and the montage."""
        super().__init__()
        self.feed = feed
        self.montage = list(montage)
        self.checks: list[ElectrodeCheck] = []
        self.runner: StepRunner | None = None
        self.captured: dict[int, tuple[StepWindow, npt.NDArray[np.float32]]] = {}
        self.rest: tuple[StepWindow, npt.NDArray[np.float32]] | None = None
        self.stopping = False
        self.was_connected = True
        self.error_shown = False
        self.ticks = 0

    def on_mount(self) -> None:
        """Start reading the ring buffer."""
        self.set_interval(1.0 / self.mx.settings.refresh_hz, self.tick)
        self.sub_title = ("SIMULATED · " if self.feed.simulated else "") + (
            f"session {self.feed.session_id}"
        )
        self.tick()

    def tick(self) -> None:
        """One timer tick: read the newest window and update what changed."""
        if self.stopping:
            return
        self.ticks += 1
        view = self.feed.view(self.mx.settings.trace_window_s)
        self.show_traces(view)
        self.show_link(view)
        self.on_tick(view)

    def show_traces(self, view: LiveView) -> None:
        """Feed the trace widget."""
        self.query_one(TraceView).show(
            view.traces, view.flags, trace_channels(self.montage, self.checks)
        )

    def show_link(self, view: LiveView) -> None:
        """Banner and counters; a recorder that stopped on an error ends the session."""
        self.query_one(LinkBanner).set_lost(not view.connected)
        self.query_one("#counters", LiveStatic).show(counters_text(view.counters, view.connected))
        if view.connected != self.was_connected:
            self.was_connected = view.connected
            self.on_link_changed(view.connected)
        if view.error and not self.feed.running and not self.error_shown:
            self.error_shown = True
            self.mx.show_error(RuntimeError(view.error), doing="keep recording")
            self.stop_session("interrupted")

    def on_tick(self, view: LiveView) -> None:
        """Each tick: advance the timed steps, if any run (screens with more to do override)."""
        self.advance_steps(view)

    def on_link_changed(self, connected: bool) -> None:
        """Called when the board is lost or comes back."""

    # -- timed steps (electrode check, calibration) -------------------------------------------

    @property
    def steps_running(self) -> bool:
        """Whether timed steps have started and not all finished."""
        return self.runner is not None and not self.runner.done

    def begin_steps(self, steps: Sequence[Step]) -> None:
        """Run timed steps from now on the sample clock."""
        self.runner = StepRunner(steps, self.feed.rate_hz)
        self.captured, self.rest = {}, None
        started = self.runner.begin(self.feed.now_index())
        self._cue(started)

    def advance_steps(self, view: LiveView) -> None:
        """Finish due steps (capturing their windows), cue new ones, update the panel."""
        runner = self.runner
        if runner is None:
            return
        now = view.next_index
        finished, started = runner.tick(now)
        for window in finished:
            envelope = self.feed.window(window.start_index, window.stop_index)
            if window.step.kind == "rest":
                self.rest = (window, envelope)
            elif window.step.kind == "contract" and window.step.channel_index is not None:
                self.captured[window.step.channel_index] = (window, envelope)
        self._cue(started)
        step = runner.current
        panel = self.query_one(InstructionPanel)
        if step is not None:
            kind = STEP_TITLES[step.kind]
            cue = step.kind == "contract" and step.channel_index is not None
            if cue and step.channel_index is not None:
                kind = f"CONTRACT · channel {step.channel_index + 1}"
            remaining_s, progress = runner.remaining_s(now), runner.progress(now)
            panel.show(kind, step.prompt, remaining_s, progress, cue=cue)
        if finished and runner.done:
            self.steps_finished()

    def _cue(self, step: Step | None) -> None:
        """Mark a step's start with its cue: rest onset, or the guided contraction it asks for."""
        if step is not None and step.cue_code is not None:
            self.feed.mark(step.cue_code)

    def steps_finished(self) -> None:
        """Called once when the last step has finished."""

    # -- stopping ---------------------------------------------------------------------------

    def confirm_abort(self) -> None:
        """Ask, then stop the session as aborted."""
        from microexp_tui.tui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_session("aborted")

        question = "Abort this session? Everything recorded so far is kept, marked aborted."
        self.app.push_screen(ConfirmDialog(question, "Abort session", "Carry on"), answered)

    def stop_session(self, status: str) -> None:
        """Stop the recorder in a worker; Review follows."""
        if self.stopping:
            return
        self.stopping = True
        self.query_one(InstructionPanel).show("STOPPING", "Saving the last data…", None, 1.0)
        self.stop_worker(status)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stop_the_recording")
    def stop_worker(self, status: str) -> None:
        """Stop the recorder and close the board (worker thread)."""
        self.before_stop(status)
        summary = self.feed.stop(status)
        final = summary.status if summary is not None else status
        self.post_message(SessionStopped(self.feed.session_id, final))

    def before_stop(self, status: str) -> None:
        """Worker thread, just before stopping: save what the screen still holds."""

    def on_session_stopped(self, message: SessionStopped) -> None:
        """Go to the review of the stopped session."""
        if message.session_id is not None:
            self.mx.goto_review(message.session_id)
        else:
            self.mx.goto_home()
