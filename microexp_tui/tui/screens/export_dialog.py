"""Anonymised export from the Review screen: choose format and folder, watch it, read the result.

The dialogs only collect choices and show progress; the export itself runs in the Review
screen's worker (`microexp_tui.export.export_sessions`), which posts `ExportProgress`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioButton, RadioSet, Static

from microexp_tui.export import FORMATS, ExportReport
from microexp_tui.tui.screens.dialogs import ChoiceSet, MessageDialog, StepProgress, hint

EXPORTS_FOLDER = "exports"
FORMAT_LABELS = {
    "bids": "BIDS EMG (EDF+ with sidecars)",
    "parquet": "Parquet tables",
    "csv": "CSV tables",
}


def default_export_dir(data_dir: Path, session_id: int, fmt: str) -> Path:
    """`<data dir>/exports/session-<id>-<fmt>`: deterministic, so a second export is refused."""
    return data_dir / EXPORTS_FOLDER / f"session-{session_id}-{fmt}"


def folder_problem(folder: Path) -> str | None:
    """Why `folder` cannot receive an export (it must be new or an empty folder), or None."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        return (
            f"{folder} already exists and is not an empty folder; an export never "
            "overwrites. Choose a new folder (or remove the old export yourself)."
        )
    return None


@dataclass(frozen=True)
class ExportChoice:
    """What the operator chose in the export dialog."""

    fmt: str
    out_dir: Path


class ExportProgress(StepProgress):
    """The export worker finished a step."""


class ExportFinished(Message):
    """The export worker wrote the export."""

    def __init__(self, report: ExportReport) -> None:
        """Carry the report."""
        super().__init__()
        self.report = report


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Format (BIDS by default) and a new output folder; Enter exports, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, session_id: int, data_dir: Path) -> None:
        """Offer `<data dir>/exports/session-<id>-<fmt>` as the folder."""
        super().__init__(classes="dialog-screen")
        self.session_id = session_id
        self.data_dir = data_dir
        self.fmt = FORMATS[0]

    def compose(self) -> ComposeResult:
        """Title, format choice, folder input, inline error, buttons."""
        with Vertical(classes="dialog export-dialog"):
            yield Label(f"Anonymised export of session {self.session_id}", classes="dialog-title")
            with ChoiceSet(id="export-format"):
                for fmt in FORMATS:
                    yield RadioButton(FORMAT_LABELS[fmt], value=fmt == self.fmt, name=fmt)
            yield Label("Output folder (new or empty)", classes="dim")
            yield Input(str(self._default(self.fmt)), id="export-folder")
            yield Static("", id="export-error", classes="field-error export-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("Export", "enter"), variant="primary", id="ok")
                yield Button(hint("Cancel", "esc"), id="cancel")

    def on_mount(self) -> None:
        """Start on the format choice."""
        self.query_one("#export-format", ChoiceSet).focus()

    def _default(self, fmt: str) -> Path:
        return default_export_dir(self.data_dir, self.session_id, fmt)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A new format chosen with space or a click."""
        self._choose(event.pressed.name or FORMATS[0])

    def on_choice_set_submitted(self, event: ChoiceSet.Submitted) -> None:
        """Enter on the format list exports in the highlighted format."""
        self._choose(event.choice or FORMATS[0])
        self._submit()

    def _choose(self, fmt: str) -> None:
        """A new format: follow it in the folder name unless the operator typed their own."""
        folder = self.query_one("#export-folder", Input)
        if folder.value.strip() == str(self._default(self.fmt)):
            folder.value = str(self._default(fmt))
        self.fmt = fmt
        self._show_error(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the folder box exports."""
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Export or cancel."""
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        """Accept a folder that is new or empty; otherwise say why not."""
        text = self.query_one("#export-folder", Input).value.strip()
        if not text:
            self._show_error("Type the folder to create for the export.")
            return
        folder = Path(text).expanduser().resolve()
        problem = folder_problem(folder)
        if problem:
            self._show_error(problem)
            return
        self.dismiss(ExportChoice(self.fmt, folder))

    def _show_error(self, message: str | None) -> None:
        error = self.query_one("#export-error", Static)
        error.update(message or "")
        error.set_class(bool(message), "-shown")

    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)


class ExportProgressDialog(ModalScreen[None]):
    """The running export's progress; Escape (or the button) cancels it between steps."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel_export", "Cancel export")]

    def __init__(self, choice: ExportChoice, cancel: threading.Event) -> None:
        """Keep the choice (for the text) and the event the worker checks."""
        super().__init__(classes="dialog-screen")
        self.choice = choice
        self.cancel = cancel

    def compose(self) -> ComposeResult:
        """Title, bar, current step, cancel button."""
        with Vertical(classes="dialog"):
            yield Label(f"Exporting ({self.choice.fmt}) to", classes="dialog-title")
            yield Static(str(self.choice.out_dir), classes="dialog-body", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
            yield Static("planning…", id="export-step", classes="dim", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("Cancel", "esc"), variant="warning", id="cancel")

    def show_progress(self, done: int, total: int, message: str) -> None:
        """Move the bar to `done` of `total` and name the step."""
        self.query_one("#export-progress", ProgressBar).update(total=total, progress=done)
        if not self.cancel.is_set():
            self.query_one("#export-step", Static).update(message)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cancel by button."""
        self.action_cancel_export()

    def action_cancel_export(self) -> None:
        """Ask the worker to stop after the current step (nothing is created)."""
        self.cancel.set()
        self.query_one("#export-step", Static).update("cancelling after the current step…")
        self.query_one("#cancel", Button).disabled = True


def summary_lines(report: ExportReport) -> str:
    """What the export wrote, its k-anonymity warnings and the identifying-data scan."""
    sessions = ", ".join(f"{s['session_id']} as {s['exported_as']}" for s in report.sessions)
    lines = [
        f"Folder: {report.out_dir}",
        f"Format: {report.fmt} · sessions: {sessions or 'none'}",
        f"Files: {report.files} ({report.bytes / 1e6:.1f} MB) in {report.elapsed_s:.1f} s, "
        "all listed with their SHA-256 in the manifest",
        "Identifying-data scan: passed (no value from the database found in any file)",
    ]
    if report.kanon.satisfied:
        lines.append(f"k-anonymity: every participant group has at least k={report.kanon.k}.")
    if report.warnings:
        lines.append("Warnings:")
        lines.extend(f"  - {warning}" for warning in report.warnings)
    if report.secret_created:
        lines.append(
            f"A new site secret was created at {report.secret_path}; keep it (the "
            "pseudonyms depend on it)."
        )
    return "\n".join(lines)


class ExportSummaryDialog(MessageDialog):
    """The finished export; Enter or Escape closes it."""

    def __init__(self, report: ExportReport) -> None:
        """Keep the report and show its summary."""
        super().__init__("Export written", summary_lines(report))
        self.report = report
