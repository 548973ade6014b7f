"""Modal dialogs: a message (an error a person can act on, a finished job's summary), a
yes/no confirmation, a required reason; and the progress message workers post."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from microexp_tui.tui.screens.base import set_error


class StepProgress(Message):
    """A worker finished a step of a longer job (posted from the worker thread)."""

    def __init__(self, done: int, total: int, message: str) -> None:
        """Carry the step count and what was done."""
        super().__init__()
        self.done, self.total, self.message = done, total, message


class ChoiceSet(RadioSet):
    """A radio set in a dialog: space picks the highlighted choice, Enter picks it and submits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Submit", show=False),
    ]

    class Submitted(Message):
        """Enter was pressed on a choice: the dialog should submit with it."""

        def __init__(self, choice_set: ChoiceSet, choice: str) -> None:
            """Carry the set and the name of the chosen button."""
            super().__init__()
            self.choice_set = choice_set
            self.choice = choice

    def action_submit(self) -> None:
        """Press the highlighted button (if any), then ask the dialog to submit."""
        buttons = list(self.query(RadioButton))
        highlighted = self._selected
        chosen = self.pressed_button
        if highlighted is not None and highlighted < len(buttons):
            chosen = buttons[highlighted]
            chosen.value = True  # the set unsets the others when it hears of it
        self.post_message(self.Submitted(self, (chosen.name or "") if chosen else ""))


def hint(label: str, key: str) -> str:
    """A button label with its key, e.g. `Export [enter]` (the brackets escaped from markup)."""
    return f"{label} \\[{key}]"


class MessageDialog(ModalScreen[None]):
    """A titled message with one OK button; Enter or Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "Close")]
    BOX_CLASSES = "dialog"

    def __init__(self, title: str, message: str) -> None:
        """Keep the texts."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        """Title, message, one button."""
        with Vertical(classes=self.BOX_CLASSES):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(self.message, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("OK", "enter"), variant="primary", id="ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close on OK."""
        self.dismiss(None)

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)


class ErrorDialog(MessageDialog):
    """An error message with what to do about it; Enter or Escape closes it."""

    BOX_CLASSES = "dialog error-dialog"


class ConfirmDialog(ModalScreen[bool]):
    """A question answered with y (yes) or n / Escape (no)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes_label: str = "Yes", no_label: str = "No") -> None:
        """Keep the question and the button labels."""
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes_label, self.no_label = yes_label, no_label

    def compose(self) -> ComposeResult:
        """Question and two buttons."""
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint(self.yes_label, "y"), variant="error", id="yes")
                yield Button(hint(self.no_label, "n"), variant="primary", id="no")

    def on_mount(self) -> None:
        """Focus the safe answer."""
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer by button."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Answer by key."""
        self.dismiss(yes)


class ReasonDialog(ModalScreen[str | None]):
    """Asks for a reason (required) before an override; Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str) -> None:
        """Keep the question."""
        super().__init__(classes="dialog-screen")
        self.question = question

    def compose(self) -> ComposeResult:
        """Question, reason input, inline error, buttons."""
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-body", markup=False)
            yield Input(placeholder="Reason (required, goes to the audit log)", id="reason")
            yield Static("", id="reason-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("Override", "enter"), variant="warning", id="ok")
                yield Button(hint("Cancel", "esc"), id="cancel")

    def on_mount(self) -> None:
        """Focus the input."""
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter submits."""
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons submit or cancel."""
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        """Accept a non-empty reason, else say it is required."""
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            set_error(self.query_one("#reason-error", Static), "A reason is required.")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        """Cancel without a reason."""
        self.dismiss(None)
