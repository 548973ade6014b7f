"""Electrode check: live traces, rest quality and guided contractions, graded per channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.dsp.electrode_metrics import guided_steps
from microexp_tui.session_flow.checks import evaluate_checks, wait_for_stored_samples
from microexp_tui.session_flow.live import Feed
from microexp_tui.session_flow.reuse import ReusedStep
from microexp_tui.session_flow.steps import check_steps
from microexp_tui.tui.screens.live_base import LiveScreen
from microexp_tui.tui.widgets.panels import InstructionPanel, LinkBanner, LiveStatic
from microexp_tui.tui.widgets.trace import TraceView
from microexp_tui.tui.widgets.wording import GRADE_WORDS


class ChecksEvaluated(Message):
    """The worker graded and saved the channels."""

    def __init__(self, results: list[ElectrodeCheck]) -> None:
        """Carry the results."""
        super().__init__()
        self.results = results


class OverrideSaved(Message):
    """An override and its reason were saved."""

    def __init__(self, channel_index: int) -> None:
        """Carry the channel."""
        super().__init__()
        self.channel_index = channel_index


GRADE_STYLES = {"green": "bold green", "amber": "bold yellow", "red": "bold red"}


def grade_cell(check: ElectrodeCheck, overridden: bool) -> Text:
    """The grade, coloured, with a mark when overridden."""
    label = GRADE_WORDS[check.grade]
    return Text(label + ("*" if overridden else ""), style=GRADE_STYLES[check.grade])


def number_cell(value: float | None, fmt: str) -> str:
    """A metric, or `-`."""
    return "-" if value is None else format(value, fmt)


class ElectrodeCheckScreen(LiveScreen):
    """Checks every electrode before calibration; red channels need a fix or an override."""

    TITLE = "Electrode check"
    HELP = (
        "Watch the live traces while electrodes are placed. Space starts the check: the "
        "participant first rests (noise, mains interference, clipping and flat lines are "
        "measured) and then makes each guided contraction, which must light its channel. "
        "OK (green, ✓) is good, WARN (amber, !) usable (look at the reasons), FAIL (red, ✗) "
        "must be fixed: redo the check "
        "(space), or override a channel with a reason (o), which goes to the audit log."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "start", "Check", tooltip="Start or redo the check"),
        Binding("o", "override", "Override", tooltip="Override the highlighted channel (reason)"),
        Binding("ctrl+s", "continue", "Continue"),
        Binding("escape", "abort", "Abort session"),
    ]

    def __init__(
        self,
        feed: Feed,
        montage: Sequence[ChannelSpec],
        results: Sequence[ElectrodeCheck] = (),
        reused: ReusedStep | None = None,
    ) -> None:
        """A check of `feed`'s channels; `results` shows earlier results (`reused`: taken
        over from the interrupted session of this visit)."""
        super().__init__(feed, montage)
        self.checks = list(results)
        self.reused = reused
        self.overridden: set[int] = set()
        self.evaluating = False

    def compose(self) -> ComposeResult:
        """Banner, instruction, traces beside results, status line."""
        yield Header()
        yield LinkBanner("")
        yield InstructionPanel()
        with Horizontal(classes="live-main"):
            yield TraceView()
            yield DataTable(id="results", cursor_type="row", classes="side-table")
        yield Static("", id="reason", classes="status-line")
        yield LiveStatic("", id="counters")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Columns, first panel text, then the timer."""
        table = self.query_one("#results", DataTable)
        table.add_columns("Ch", "Q", "Noise", "Mains%", "Rise")
        self.fill_results()
        if self.reused is not None:
            text = f"{self.reused.describe()}: continue (ctrl+s), or redo it (space)"
            self.query_one(InstructionPanel).show("REUSED", text.capitalize(), None, 1.0)
        else:
            self.query_one(InstructionPanel).show(
                "READY", "Place the electrodes, then press space to check them", None, 0.0
            )
        super().on_mount()

    def action_start(self) -> None:
        """Start (or redo) the check."""
        if self.steps_running or self.evaluating:
            self.notify("The check is already running.")
            return
        settings = self.mx.settings.checks
        steps = check_steps(guided_steps(self.montage), settings.rest_s, settings.contraction_s)
        self.checks, self.overridden = [], set()
        self.fill_results()
        self.begin_steps(steps)

    def steps_finished(self) -> None:
        """Grade the channels in a worker (it waits for the rest window to be stored)."""
        self.evaluating = True
        self.query_one(InstructionPanel).show("CHECKING", "Grading the channels…", None, 1.0)
        self.evaluate()

    @work(thread=True, exclusive=True, exit_on_error=False, group="grade_the_electrodes")
    def evaluate(self) -> None:
        """Rest metrics from stored raw counts, contractions from the captured envelopes."""
        assert self.rest is not None and self.feed.session_id is not None
        window, rest_envelope = self.rest
        store = self.mx.store
        counts = wait_for_stored_samples(
            store, self.feed.session_id, window.start_index, window.stop_index
        )
        results = evaluate_checks(
            self.montage,
            self.feed.rate_hz,
            self.mx.settings.filters.mains_hz,
            window,
            counts,
            rest_envelope,
            {channel: env for channel, (_, env) in self.captured.items()},
        )
        actor = self.mx.settings.operator or "operator"
        store.save_electrode_checks(self.feed.session_id, results, actor)
        self.post_message(ChecksEvaluated(results))

    def worker_failed(self, group: str, error: BaseException) -> None:
        """Allow a redo after a failed grading."""
        self.evaluating = False
        super().worker_failed(group, error)

    def on_checks_evaluated(self, message: ChecksEvaluated) -> None:
        """Show the grades."""
        self.evaluating = False
        self.checks = message.results
        self.fill_results()
        red = [c.channel_index + 1 for c in self.checks if c.grade == "red"]
        text = (
            f"Fix channels {', '.join(map(str, red))} and redo (space), or override (o)"
            if red
            else "All channels usable: continue with ctrl+s"
        )
        self.query_one(InstructionPanel).show("DONE", text, None, 1.0)

    def fill_results(self) -> None:
        """One row per channel; reasons of the highlighted channel in the status line."""
        table = self.query_one("#results", DataTable)
        table.clear()
        by_channel = {check.channel_index: check for check in self.checks}
        for spec in self.montage:
            check = by_channel.get(spec.index)
            if check is None:
                table.add_row(str(spec.index + 1), "…", "", "", "")
                continue
            table.add_row(
                str(spec.index + 1),
                grade_cell(check, spec.index in self.overridden),
                number_cell(check.noise_counts, ".0f"),
                number_cell(
                    None if check.mains_fraction is None else check.mains_fraction * 100, ".0f"
                ),
                number_cell(check.contraction_rise, ".0f"),
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Say why the highlighted channel got its grade."""
        by_channel = {check.channel_index: check for check in self.checks}
        check = by_channel.get(event.cursor_row)
        text = ""
        if check is not None:
            text = f"Channel {check.channel_index + 1}: {check.reasons or 'no problems found'}"
        self.query_one("#reason", Static).update(text)

    def action_override(self) -> None:
        """Accept the highlighted amber/red channel anyway, with a reason for the audit log."""
        from microexp_tui.tui.screens.dialogs import ReasonDialog

        table = self.query_one("#results", DataTable)
        by_channel = {check.channel_index: check for check in self.checks}
        check = by_channel.get(table.cursor_row)
        if check is None or check.grade == "green":
            self.notify("Highlight an amber or red channel after the check.", severity="warning")
            return

        def answered(reason: str | None) -> None:
            if reason:
                self.save_override(check.channel_index, reason)

        question = f"Use channel {check.channel_index + 1} ({check.grade}: {check.reasons}) anyway?"
        self.app.push_screen(ReasonDialog(question), answered)

    @work(thread=True, exit_on_error=False, group="save_the_override")
    def save_override(self, channel_index: int, reason: str) -> None:
        """Store the override and its reason (worker thread)."""
        assert self.feed.session_id is not None
        actor = self.mx.settings.operator or "operator"
        target = f"channel {channel_index + 1}"
        self.mx.store.add_override(self.feed.session_id, "electrode_check", target, reason, actor)
        self.post_message(OverrideSaved(channel_index))

    def on_override_saved(self, message: OverrideSaved) -> None:
        """Mark the channel as overridden."""
        self.overridden.add(message.channel_index)
        self.fill_results()

    def action_continue(self) -> None:
        """On to calibration once every red channel is fixed or overridden."""
        from microexp_tui.tui.screens.dialogs import ErrorDialog

        if not self.checks:
            self.notify("Run the check first (space).", severity="warning")
            return
        red = [c.channel_index + 1 for c in self.checks if c.grade == "red"]
        blocking = [n for n in red if n - 1 not in self.overridden]
        if blocking:
            listed = ", ".join(map(str, blocking))
            self.app.push_screen(
                ErrorDialog(
                    "Red channels",
                    f"Channels {listed} are red. Fix the electrodes and redo the check "
                    "(space), or override each of them with a reason (o).",
                )
            )
            return
        self.mx.visit.checks = list(self.checks)
        self.mx.goto_calibration()

    def action_abort(self) -> None:
        """Abort the session (asks first)."""
        self.confirm_abort()
