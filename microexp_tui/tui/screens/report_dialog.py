"""PDF report from the Review screen: choose file, template and paper, watch it, read the result.

The dialogs only collect choices and show progress; `ReportActions` (the Review screen's
base) runs `microexp_tui.report.generate.generate_report` in a worker thread that never
touches a widget: it posts `ReportProgress` and `ReportFinished`, and a failure becomes an
error dialog through the screen's worker-failure handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioButton, RadioSet, Static

from microexp_tui.errors import MicroexpError
from microexp_tui.report.generate import ReportResult, check_output
from microexp_tui.report.template import PAPERS, available_templates, load_template
from microexp_tui.tui.screens.base import FlowScreen, set_error
from microexp_tui.tui.screens.dialogs import ChoiceSet, MessageDialog, StepProgress, hint

REPORTS_FOLDER = "reports"
REPORT_GROUP = "write_the_PDF_report"


def default_report_path(data_dir: Path, session_id: int) -> Path:
    """`<data dir>/reports/session-<id>.pdf`."""
    return data_dir / REPORTS_FOLDER / f"session-{session_id}.pdf"


@dataclass(frozen=True)
class ReportChoice:
    """What the operator chose in the report dialog."""

    out_path: Path
    template: str
    paper: str


class ReportProgress(StepProgress):
    """The report worker finished a step."""


class ReportFinished(Message):
    """The report worker wrote the PDF."""

    def __init__(self, result: ReportResult) -> None:
        """Carry the result."""
        super().__init__()
        self.result = result


class ReportDialog(ModalScreen[ReportChoice | None]):
    """Template, paper and output file; Enter writes the report, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, session_id: int, data_dir: Path) -> None:
        """Offer `<data dir>/reports/session-<id>.pdf` and the shipped templates."""
        super().__init__(classes="dialog-screen")
        self.session_id = session_id
        self.data_dir = data_dir
        self.templates = available_templates() or ["default"]
        self.template = self.templates[0]
        self.paper = self._template_paper(self.template)

    def compose(self) -> ComposeResult:
        """Title, template and paper choices, file input, inline error, buttons."""
        with Vertical(classes="dialog export-dialog"):
            yield Label(f"PDF report of session {self.session_id}", classes="dialog-title")
            with Horizontal(classes="dialog-choices"):
                with Vertical():
                    yield Label("Template", classes="dim")
                    with ChoiceSet(id="report-template"):
                        for name in self.templates:
                            yield RadioButton(name, value=name == self.template, name=name)
                with Vertical():
                    yield Label("Paper", classes="dim")
                    with ChoiceSet(id="report-paper"):
                        for paper in PAPERS:
                            yield RadioButton(paper, value=paper == self.paper, name=paper)
            yield Label("Output file", classes="dim")
            yield Input(str(self._default()), id="report-file")
            yield Static("", id="report-error", classes="field-error export-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("Write report", "enter"), variant="primary", id="ok")
                yield Button(hint("Cancel", "esc"), id="cancel")

    def on_mount(self) -> None:
        """Start on the file name (the usual choice is the default template)."""
        self.query_one("#report-file", Input).focus()

    def _default(self) -> Path:
        return default_report_path(self.data_dir, self.session_id)

    @staticmethod
    def _template_paper(name: str) -> str:
        """The paper a template asks for (A4 when it cannot be read: the write will say why)."""
        try:
            return load_template(name).paper
        except MicroexpError:
            return PAPERS[0]

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A template or paper chosen with space or a click."""
        self._choose(event.radio_set.id, event.pressed.name or "")

    def on_choice_set_submitted(self, event: ChoiceSet.Submitted) -> None:
        """Enter on a choice list writes the report with the highlighted choice."""
        self._choose(event.choice_set.id, event.choice)
        self._submit()

    def _choose(self, list_id: str | None, name: str) -> None:
        """A template brings its own paper; a paper choice overrides it."""
        if list_id == "report-template":
            self.template = name
            self._press_paper(self._template_paper(name))
        else:
            self.paper = name
        set_error(self.query_one("#report-error", Static), None)

    def _press_paper(self, paper: str) -> None:
        """Select `paper` in the paper choice."""
        self.paper = paper
        for button in self.query_one("#report-paper", RadioSet).query(RadioButton):
            if button.name == paper and not button.value:
                button.value = True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the file box writes the report."""
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Write or cancel."""
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        """Accept a file the program can write (creating the default reports folder)."""
        error = self.query_one("#report-error", Static)
        text = self.query_one("#report-file", Input).value.strip()
        if not text:
            set_error(error, "Type the PDF file to write.")
            return
        path = Path(text).expanduser()
        try:
            if path.resolve().parent == self._default().parent:
                path.parent.mkdir(parents=True, exist_ok=True)
            check_output(path)
        except (MicroexpError, OSError) as err:
            set_error(error, str(err))
            return
        self.dismiss(ReportChoice(path.resolve(), self.template, self.paper))

    def action_cancel(self) -> None:
        """Close without writing."""
        self.dismiss(None)


class ReportProgressDialog(ModalScreen[None]):
    """The running report's progress (a report takes a few seconds at most)."""

    def __init__(self, choice: ReportChoice) -> None:
        """Keep the choice (for the text)."""
        super().__init__(classes="dialog-screen")
        self.choice = choice

    def compose(self) -> ComposeResult:
        """Title, target, bar, current step."""
        with Vertical(classes="dialog"):
            yield Label("Writing the PDF report to", classes="dialog-title")
            yield Static(str(self.choice.out_path), classes="dialog-body", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="report-progress")
            yield Static("starting…", id="report-step", classes="dim", markup=False)

    def show_progress(self, done: int, total: int, message: str) -> None:
        """Move the bar to `done` of `total` and name the step."""
        self.query_one("#report-progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#report-step", Static).update(message)


def summary_lines(result: ReportResult) -> str:
    """Where the report went and what it holds."""
    return "\n".join(
        [
            f"File: {result.path}",
            f"{result.pages} pages, {result.bytes / 1e3:.0f} kB, {result.paper} paper, template "
            f"{result.template}, written in {result.elapsed_s:.1f} s.",
            "Recorded in the session's audit log.",
        ]
    )


class ReportSummaryDialog(MessageDialog):
    """The written report; Enter or Escape closes it."""

    def __init__(self, result: ReportResult) -> None:
        """Keep the result and show where it went."""
        super().__init__("PDF report written", summary_lines(result))
        self.result = result


class ReportActions(FlowScreen):
    """The Review screen's PDF report: dialog, worker, progress, summary, failures as dialogs."""

    session_id: int
    report_progress: ReportProgressDialog | None = None

    @on(Button.Pressed, "#report")
    def report_pressed(self) -> None:
        """The report button."""
        self.action_report()

    def action_report(self) -> None:
        """Ask for file, template and paper, then write the report (unless one is running)."""
        if self.report_progress is not None:
            self.notify("A report is already being written.", severity="warning")
            return
        dialog = ReportDialog(self.session_id, self.mx.settings.database_dir())
        self.app.push_screen(dialog, self._report_chosen)

    def _report_chosen(self, choice: ReportChoice | None) -> None:
        """Start the worker behind a progress dialog (nothing when the dialog was cancelled)."""
        if choice is None:
            return
        self.report_progress = ReportProgressDialog(choice)
        self.app.push_screen(self.report_progress)
        self.write_report(choice)

    @work(thread=True, exclusive=True, exit_on_error=False, group=REPORT_GROUP)
    def write_report(self, choice: ReportChoice) -> None:
        """Write the PDF (worker thread); progress and the result arrive as messages."""
        from microexp_tui.report.generate import generate_report

        def progress(done: int, total: int, message: str) -> None:
            self.post_message(ReportProgress(done, total, message))

        result = generate_report(
            self.mx.store,
            self.session_id,
            choice.out_path,
            choice.template,
            choice.paper,
            progress,
            rule=self.mx.settings.response_rule(),
        )
        self.post_message(ReportFinished(result))

    def on_report_progress(self, message: ReportProgress) -> None:
        """Move the progress bar."""
        if self.report_progress is not None:
            self.report_progress.show_progress(message.done, message.total, message.message)

    def on_report_finished(self, message: ReportFinished) -> None:
        """Replace the progress with the summary."""
        self._close_report_progress()
        self.app.push_screen(ReportSummaryDialog(message.result))

    def _close_report_progress(self) -> None:
        """Take the progress dialog away (if it is still up)."""
        dialog, self.report_progress = self.report_progress, None
        if dialog is not None and dialog.is_current:
            dialog.dismiss(None)

    def worker_failed(self, group: str, error: BaseException) -> None:
        """A failed report closes its progress first, then shows the error as a dialog."""
        if group == REPORT_GROUP:
            self._close_report_progress()
        super().worker_failed(group, error)
