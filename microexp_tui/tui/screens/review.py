"""Review: session summary, per-stimulus table, checks and calibration, notes."""

from __future__ import annotations

import threading
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from microexp_tui.analysis.trials.table import VALENCE_MUSCLE
from microexp_tui.export import ExportCancelled, export_sessions
from microexp_tui.expressions.stimulus_response import RESPONSE_RULE
from microexp_tui.readmodels.review import SessionReview
from microexp_tui.report.analysis import StimulusOutcome
from microexp_tui.report.gather import SessionResponses, read_responses, session_figures
from microexp_tui.study.montages import short_muscle
from microexp_tui.tui.screens.dialogs import hint
from microexp_tui.tui.screens.export_dialog import (
    ExportChoice,
    ExportDialog,
    ExportFinished,
    ExportProgress,
    ExportProgressDialog,
    ExportSummaryDialog,
)
from microexp_tui.tui.screens.report_dialog import ReportActions
from microexp_tui.tui.widgets.expressions import ExpressionsPanel
from microexp_tui.tui.widgets.wording import GRADE_MARKS

EXPORT_GROUP = "export_the_session"

STATUS_STYLES = {
    "completed": "bold green",
    "aborted": "bold yellow",
    "interrupted": "bold red",
    "empty": "bold red",
    "recording": "bold cyan",
}


class ReviewLoaded(Message):
    """The worker read the session's review."""

    def __init__(self, review: SessionReview, outcomes: list[StimulusOutcome]) -> None:
        """Carry the review and what the model predicted for each stimulus."""
        super().__init__()
        self.review = review
        self.outcomes = outcomes


class ResponsesLoaded(Message):
    """The worker computed the session's trial-level responses by condition."""

    def __init__(self, responses: SessionResponses) -> None:
        """Carry the responses (or why there are none)."""
        super().__init__()
        self.responses = responses


RESPONSE_COLUMNS = ("Muscle", "Condition", "Mean change", "Trials", "Excl.")
VALENCE_LABEL = "Corr−Zyg"
"""The valence index's muscle cell: corrugator minus zygomaticus."""


def response_muscle(muscle: str) -> str:
    """A muscle's short name in the responses table (the valence index as Corr−Zyg)."""
    return VALENCE_LABEL if muscle == VALENCE_MUSCLE else short_muscle(muscle)


def response_cells(responses: SessionResponses) -> list[tuple[str, ...]]:
    """One row per muscle and condition: mean whole-window change (unit), trials, excluded."""
    rows: list[tuple[str, ...]] = []
    for row in responses.summary:
        unit = responses.units.get(row.muscle, "")
        change = "-" if row.mean_change is None else f"{row.mean_change:+.1f} {unit}".rstrip()
        rows.append(
            (response_muscle(row.muscle), row.condition, change, str(row.trials), str(row.excluded))
        )
    return rows


def summary_text(review: SessionReview) -> Text:
    """Header lines: who, what, how long, status, data quality."""
    record = review.record
    text = Text()
    if record.simulated:
        text.append(" SIMULATED ", style="bold black on yellow")
        text.append(" ")
    text.append(f"Session {record.id}", style="bold")
    text.append(f" · participant {record.participant_code} · ")
    if record.test_participant:
        text.append(" TEST PARTICIPANT ", style="bold black on yellow")
        text.append(" · ")
    text.append(record.status.upper(), style=STATUS_STYLES.get(record.status, ""))
    text.append(f"\nstarted {record.started_at[:19].replace('T', ' ')} UTC · ")
    text.append(
        f"{record.duration_s:.1f} s · {record.channel_count} ch @ {record.sample_rate_hz:g} Hz"
    )
    protocol = record.protocol or "none"
    progress = review.progress
    done = f" ({progress.blocks_done}/{progress.blocks_total} blocks)" if progress else ""
    text.append(f"\nprotocol {protocol}{done}")
    if review.setup and review.setup.protocol_seed is not None:
        text.append(f" · order seed {review.setup.protocol_seed}")
    if review.setup and review.setup.resumed_from_session_id:
        text.append(f" · resumes session {review.setup.resumed_from_session_id}")
    c = record.counters
    if record.source == "import":
        text.append(
            f"\nimported file · lost samples {review.gaps_lost_samples} · expressions "
            f"{len(review.expressions)}"
        )
        return text
    text.append(
        f"\nframes {c.get('frames', 0)} · CRC errors {c.get('crc_errors', 0)} · gaps "
        f"{c.get('sequence_gaps', 0)} · lost samples {review.gaps_lost_samples} · reconnects "
        f"{c.get('reconnects', 0)} · expressions {len(review.expressions)}"
    )
    return text


def checks_text(review: SessionReview) -> Text:
    """Electrode grades, calibration and overrides in a few lines."""
    text = Text()
    record = review.record
    if review.checks:
        text.append("Electrodes: ")
        for check in review.checks:
            style = {"green": "green", "amber": "yellow", "red": "bold red"}[check.grade]
            muscle = short_muscle(record.channels[check.channel_index].muscle)
            mark = GRADE_MARKS[check.grade]
            entry = f"{check.channel_index + 1} {muscle} {mark}".replace(" ", "\u00a0")
            text.append(entry + "  ", style=style)
    else:
        text.append("Electrodes: not checked", style="dim")
    valid = sum(row.valid for row in review.calibration)
    text.append(
        f"\nCalibration: {valid}/{len(review.calibration)} channels"
        if review.calibration
        else "\nCalibration: none"
    )
    for override in review.overrides:
        text.append(f"\nOverride ({override.kind}, {override.target}): {override.reason}", "yellow")
    return text


def notes_text(review: SessionReview) -> str:
    """The notes, oldest first."""
    if not review.notes:
        return "No notes yet."
    return "\n".join(f"{n.at[:16].replace('T', ' ')} {n.author}: {n.text}" for n in review.notes)


class ReviewScreen(ReportActions):
    """A finished (or interrupted) session at a glance, with notes."""

    TITLE = "Review"
    HELP = (
        "The session's summary, data-quality counters, electrode and calibration results, "
        "and one row per presented stimulus with the expressions answering it (✓ when one "
        "shows the stimulus's own emotion, by the rule at the end); responses by condition: "
        "per muscle and condition, the mean change of the rectified envelope in the 0-4 s "
        "response window from the 1 s baseline before each onset, over the kept trials, with "
        "the trials and how many were excluded (artifacts, lost samples, beyond 3.5 SD); then "
        "every detected "
        "expression (micro or macro, muscles, action units, likely emotion and confidence). "
        "Add notes at the bottom. "
        "x exports this session anonymised (BIDS, Parquet or CSV) into a new folder, by "
        "default under the data directory; Escape cancels a running export. p writes a PDF "
        "report (template, paper, file; by default data directory/reports/session-<id>.pdf).\n\n"
        + RESPONSE_RULE
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "note", "Add note"),
        Binding("x", "export", "Export"),
        Binding("p", "report", "PDF report"),
        Binding("escape", "home", "Home"),
        Binding("f5", "reload", "Reload", show=False),
    ]

    def __init__(self, session_id: int) -> None:
        """Review `session_id`."""
        super().__init__()
        self.session_id = session_id
        self.review: SessionReview | None = None
        self.export_progress: ExportProgressDialog | None = None
        self.responses_started = False

    def compose(self) -> ComposeResult:
        """Summary, stimuli, checks, notes, note input, unavailable actions."""
        yield Header()
        with VerticalScroll(id="review"):
            yield Static("Loading…", id="summary")
            yield Label("Stimuli", classes="section-title")
            yield DataTable(id="stimuli", cursor_type="row", zebra_stripes=True)
            yield Label("Responses by condition", classes="section-title")
            yield DataTable(id="responses", cursor_type="row", zebra_stripes=True)
            yield Static("", id="responses-note")
            yield ExpressionsPanel()
            yield Static("", id="checks")
            yield Label("Notes", classes="section-title")
            yield Static("", id="notes")
            yield Input(placeholder="Type a note and press enter", id="note")
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("PDF report", "p"), id="report")
                yield Button(hint("Anonymised export", "x"), variant="primary", id="export")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Columns, then load."""
        self.query_one("#stimuli", DataTable).add_columns(
            "#", "Emotion", "Onset", "Length", "Events", "Micro", "Expected", "Predicted", "Conf"
        )
        responses = self.query_one("#responses", DataTable)
        responses.add_columns(*RESPONSE_COLUMNS)
        responses.display = False  # shown once filled: a placeholder row left stale widths
        self.query_one("#responses-note", Static).update("computing…")
        self.sub_title = f"session {self.session_id}"
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compute_the_responses")
    def load_responses(self) -> None:
        """Epoch the session and summarise its responses by condition (worker thread)."""
        self.post_message(ResponsesLoaded(read_responses(self.mx.store, self.session_id)))

    def on_responses_loaded(self, message: ResponsesLoaded) -> None:
        """Fill the responses table, or say in a line why there is none."""
        table = self.query_one("#responses", DataTable)
        table.clear()
        rows = response_cells(message.responses)
        for row in rows:
            table.add_row(*row)
        table.display = bool(rows)
        why = message.responses.missing or "No trials."
        note = self.query_one("#responses-note", Static)
        note.update("" if rows else why)
        note.display = not rows

    @work(thread=True, exclusive=True, exit_on_error=False, group="read_the_session")
    def load(self) -> None:
        """Read everything about the session (worker thread)."""
        figures = session_figures(self.mx.store, self.session_id, self.mx.settings.response_rule())
        self.post_message(ReviewLoaded(figures.review, figures.outcomes))

    def on_review_loaded(self, message: ReviewLoaded) -> None:
        """Fill the screen."""
        review = self.review = message.review
        self.query_one("#summary", Static).update(summary_text(review))
        self.query_one("#checks", Static).update(checks_text(review))
        self.query_one("#notes", Static).update(notes_text(review))
        table = self.query_one("#stimuli", DataTable)
        table.clear()
        predicted = {outcome.row.number: outcome for outcome in message.outcomes}
        for row in review.stimuli:
            outcome = predicted.get(row.number)
            guess = outcome.predicted if outcome and outcome.predicted else "-"
            confidence = outcome.confidence if outcome else None
            table.add_row(
                str(row.number),
                row.emotion,
                f"{row.onset_s:.1f} s",
                "-" if row.duration_s is None else f"{row.duration_s:.1f} s",
                str(row.events),
                str(row.micro_events),
                "✓" if row.expected_hit else "-",
                guess,
                "-" if confidence is None else f"{confidence:.2f}",
            )
        if not review.stimuli:
            table.add_row("-", "no stimuli presented", "", "", "", "", "", "", "")
        self.query_one(ExpressionsPanel).show(
            review.expressions, review.record.channels, review.validation, review.guided
        )
        if not self.responses_started:  # once the session is known to exist; not per note
            self.responses_started = True
            self.load_responses()

    def action_note(self) -> None:
        """Focus the note box."""
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def note_submitted(self, event: Input.Submitted) -> None:
        """Save the note."""
        text = event.value.strip()
        if not text:
            self.notify("The note is empty.", severity="warning")
            return
        event.input.value = ""
        self.save_note(text)

    @work(thread=True, exit_on_error=False, group="save_the_note")
    def save_note(self, text: str) -> None:
        """Append the note (worker thread), then reload."""
        author = self.mx.settings.operator or "operator"
        self.mx.store.add_note(self.session_id, text, author)
        self.load()  # re-read in the worker: the notes and everything else stay consistent

    # -- anonymised export -------------------------------------------------------------------

    @on(Button.Pressed, "#export")
    def export_pressed(self) -> None:
        """The export button."""
        self.action_export()

    def action_export(self) -> None:
        """Ask for the format and folder, then export this session (unless one is running)."""
        if self.export_progress is not None:
            self.notify("An export is already running.", severity="warning")
            return
        dialog = ExportDialog(self.session_id, self.mx.settings.database_dir())
        self.app.push_screen(dialog, self._export_chosen)

    def _export_chosen(self, choice: ExportChoice | None) -> None:
        """Start the worker behind a progress dialog (nothing when the dialog was cancelled)."""
        if choice is None:
            return
        cancel = threading.Event()
        self.export_progress = ExportProgressDialog(choice, cancel)
        self.app.push_screen(self.export_progress)
        self.run_export(choice, cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group=EXPORT_GROUP)
    def run_export(self, choice: ExportChoice, cancel: threading.Event) -> None:
        """Write the export (worker thread); progress and the report arrive as messages."""

        def progress(done: int, total: int, message: str) -> None:
            self.post_message(ExportProgress(done, total, message))

        report = export_sessions(
            self.mx.store.path,
            choice.out_dir,
            [self.session_id],
            choice.fmt,
            None,
            progress,
            power_line_hz=self.mx.settings.filters.mains_hz,
            cancel=cancel,
            response_rule=self.mx.settings.response_rule(),
            include_test_participants=True,  # the operator chose this very session
        )
        self.post_message(ExportFinished(report))

    def on_export_progress(self, message: ExportProgress) -> None:
        """Move the progress bar."""
        if self.export_progress is not None:
            self.export_progress.show_progress(message.done, message.total, message.message)

    def on_export_finished(self, message: ExportFinished) -> None:
        """Replace the progress with the summary."""
        self._close_export_progress()
        self.app.push_screen(ExportSummaryDialog(message.report))

    def _close_export_progress(self) -> None:
        """Take the progress dialog away (if it is still up)."""
        dialog, self.export_progress = self.export_progress, None
        if dialog is not None and dialog.is_current:
            dialog.dismiss(None)

    def worker_failed(self, group: str, error: BaseException) -> None:
        """A failed export closes its progress first; a cancelled one is only a notice."""
        if group == EXPORT_GROUP:
            self._close_export_progress()
            if isinstance(error, ExportCancelled):
                self.notify(str(error), severity="warning")
                return
        super().worker_failed(group, error)

    def action_reload(self) -> None:
        """Read the session again (and compute its responses again)."""
        self.responses_started = False
        self.load()

    def action_home(self) -> None:
        """Back to Home."""
        self.mx.goto_home()
