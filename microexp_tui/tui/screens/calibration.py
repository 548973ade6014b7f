"""Calibration: rest baseline and maximal contraction per muscle, saved for this session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header

from microexp_tui.domain.calibration import (
    COUNTS,
    MIN_SPAN_NOISE_FACTOR,
    Calibration,
    span_floor,
)
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.dsp.electrode_metrics import guided_steps
from microexp_tui.session_flow.checks import evaluate_calibration, weak_channels
from microexp_tui.session_flow.live import Feed
from microexp_tui.session_flow.reuse import ReusedStep
from microexp_tui.session_flow.steps import check_steps
from microexp_tui.tui.screens.live_base import LiveScreen
from microexp_tui.tui.widgets.panels import InstructionPanel, LinkBanner, LiveStatic
from microexp_tui.tui.widgets.trace import TraceView

MVC_SUFFIX = " as hard as you can"


class CalibrationSaved(Message):
    """The worker computed and saved the calibration."""

    def __init__(self, calibration: Calibration) -> None:
        """Carry the calibration."""
        super().__init__()
        self.calibration = calibration


class CalibrationSkipped(Message):
    """The operator skipped calibration with a reason (saved)."""


class CalibrationScreen(LiveScreen):
    """Measures each muscle at rest and at maximal contraction (the normalisation)."""

    TITLE = "Calibration"
    HELP = (
        "Space starts the calibration: the participant rests (baseline), then contracts each "
        "muscle as hard as they can when asked. The rest level, rest noise and maximal "
        "contraction of each channel are saved as this participant's calibration for the "
        "session and used from then on, so live traces and events are shown as a share of "
        "their own maximum. A channel whose contraction rose less than "
        f"{MIN_SPAN_NOISE_FACTOR:g} times its rest noise, or less than "
        f"{span_floor(COUNTS):g} counts, is marked weak (no % of maximum for it; the model "
        "uses a fallback range): redo (space), or carry on. Skipping needs a reason (k)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "start", "Measure", tooltip="Start or redo the calibration"),
        Binding("ctrl+s", "continue", "Continue"),
        Binding("k", "skip", "Skip", tooltip="Skip calibration (reason)"),
        Binding("escape", "abort", "Abort session"),
    ]

    def __init__(
        self,
        feed: Feed,
        montage: Sequence[ChannelSpec],
        checks: Sequence[ElectrodeCheck] = (),
        calibration: Calibration | None = None,
        reused: ReusedStep | None = None,
    ) -> None:
        """Calibrate `feed`'s channels; `calibration` shows an earlier one (`reused`: taken
        over from the interrupted session of this visit)."""
        super().__init__(feed, montage)
        self.checks = list(checks)
        self.calibration = calibration
        self.reused = reused
        self.saving = False

    def compose(self) -> ComposeResult:
        """Banner, instruction, traces beside the calibration table."""
        yield Header()
        yield LinkBanner("")
        yield InstructionPanel()
        with Horizontal(classes="live-main"):
            yield TraceView()
            yield DataTable(id="calibration", cursor_type="row", classes="side-table")
        yield LiveStatic("", id="counters")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Columns, first panel text, then the timer."""
        self.query_one("#calibration", DataTable).add_columns("Ch", "Rest", "Max", "OK")
        self.fill_rows()
        if self.reused is not None:
            text = f"{self.reused.describe()}: continue (ctrl+s), or redo it (space)"
            self.query_one(InstructionPanel).show("REUSED", text.capitalize(), None, 1.0)
        else:
            self.query_one(InstructionPanel).show(
                "READY", "Press space to measure rest and maximal contractions", None, 0.0
            )
        super().on_mount()

    def action_start(self) -> None:
        """Start (or redo) the calibration."""
        if self.steps_running or self.saving:
            self.notify("The calibration is already running.")
            return
        prefs = self.mx.settings.checks
        steps = check_steps(guided_steps(self.montage), prefs.calibration_rest_s, prefs.mvc_s)
        steps = [
            replace(step, prompt=step.prompt + MVC_SUFFIX) if step.kind == "contract" else step
            for step in steps
        ]
        self.calibration = None
        self.fill_rows()
        self.begin_steps(steps)

    def steps_finished(self) -> None:
        """Compute and save the calibration in a worker."""
        self.saving = True
        self.query_one(InstructionPanel).show("SAVING", "Computing the normalisation…", None, 1.0)
        self.save()

    @work(thread=True, exclusive=True, exit_on_error=False, group="save_the_calibration")
    def save(self) -> None:
        """Calibration per channel, stored with the session and used live (worker thread)."""
        assert self.rest is not None and self.feed.session_id is not None
        window, envelope = self.rest
        calibration = evaluate_calibration(window, envelope, self.captured)
        actor = self.mx.settings.operator or "operator"
        self.mx.store.save_calibration(self.feed.session_id, calibration.channels, actor)
        self.feed.set_calibration(calibration)
        self.post_message(CalibrationSaved(calibration))

    def worker_failed(self, group: str, error: BaseException) -> None:
        """Allow a redo after a failure."""
        self.saving = False
        super().worker_failed(group, error)

    def on_calibration_saved(self, message: CalibrationSaved) -> None:
        """Show the normalisation."""
        self.saving = False
        self.calibration = message.calibration
        self.fill_rows()
        weak = weak_channels(self.calibration, self.montage)
        text = (
            f"Weak contraction on channels {', '.join(map(str, weak))}: redo (space) "
            "or continue (ctrl+s)"
            if weak
            else "Calibration saved: continue with ctrl+s"
        )
        self.query_one(InstructionPanel).show("DONE", text, None, 1.0)

    def fill_rows(self) -> None:
        """One row per channel."""
        table = self.query_one("#calibration", DataTable)
        table.clear()
        rows = self.calibration.channels if self.calibration else ()
        by_channel = {row.channel_index: row for row in rows}
        for spec in self.montage:
            row = by_channel.get(spec.index)
            if row is None:
                table.add_row(str(spec.index + 1), "…", "", "")
                continue
            ok = Text("yes", style="green") if row.valid else Text("weak", style="bold yellow")
            table.add_row(
                str(spec.index + 1),
                f"{row.baseline:.0f}",
                f"{row.max_value:.0f}",
                ok,
            )

    def action_continue(self) -> None:
        """On to the recording with this calibration."""
        if self.calibration is None:
            self.notify("Calibrate first (space), or skip with a reason (k).", severity="warning")
            return
        self.mx.visit.calibration = self.calibration
        self.mx.goto_recording()

    def action_skip(self) -> None:
        """Record without a calibration, giving the reason."""
        from microexp_tui.tui.screens.dialogs import ReasonDialog

        def answered(reason: str | None) -> None:
            if reason:
                self.skip(reason)

        question = "Record without calibration? Events are then detected on raw envelope levels."
        self.app.push_screen(ReasonDialog(question), answered)

    @work(thread=True, exit_on_error=False, group="save_the_override")
    def skip(self, reason: str) -> None:
        """Store the override (worker thread)."""
        assert self.feed.session_id is not None
        actor = self.mx.settings.operator or "operator"
        self.mx.store.add_override(
            self.feed.session_id, "calibration", "all channels", reason, actor
        )
        self.post_message(CalibrationSkipped())

    def on_calibration_skipped(self, message: CalibrationSkipped) -> None:
        """On to the recording without normalisation."""
        self.mx.visit.calibration = None
        self.mx.goto_recording()

    def action_abort(self) -> None:
        """Abort the session (asks first)."""
        self.confirm_abort()
