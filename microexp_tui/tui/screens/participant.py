"""Participant setup: pseudonymous code, minimal demographics, optional identity, consent."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Footer, Header, Input, Label, Markdown, Select, Static

from microexp_tui.domain.sessions import HANDEDNESS_VALUES, SEX_VALUES, Participant, utc_now_iso
from microexp_tui.errors import InputError
from microexp_tui.store.participants import generate_code
from microexp_tui.study import participant_form as form
from microexp_tui.study.consent import ConsentText, load_consent
from microexp_tui.tui.screens.base import FlowScreen, set_error

TEXT_FIELDS = ("name", "contact", "notes")


class ParticipantSaved(Message):
    """The worker created the participant (or kept the existing one)."""

    def __init__(self, participant: Participant) -> None:
        """Carry the participant."""
        super().__init__()
        self.participant = participant


class CodeRefused(Message):
    """The store refused the code (taken, or invalid)."""

    def __init__(self, reason: str) -> None:
        """Carry the reason."""
        super().__init__()
        self.reason = reason


def _row(label: str, widget: Input | Select[str]) -> Horizontal:
    """A labelled form row."""
    return Horizontal(Label(label, classes="field-label"), widget, classes="field-row")


class ParticipantScreen(FlowScreen):
    """New participant (or the chosen one) and the consent confirmation before recording."""

    TITLE = "Participant and consent"
    HELP = (
        "A pseudonymous code is generated (change it if your study uses its own codes). "
        "Demographics are minimal and optional. Name, contact and notes are optional, stored "
        "in a separate table and never exported. Read the consent text with the participant "
        "and tick the box: recording cannot start without it."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "continue", "Continue"),
        Binding("ctrl+g", "new_code", "New code"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(
        self,
        existing: Participant | None = None,
        resuming: int | None = None,
        code: str | None = None,
    ) -> None:
        """A form for a new participant, or consent only for an existing one."""
        super().__init__()
        self.existing = existing
        self.resuming = resuming
        self.initial_code = existing.code if existing else (code or generate_code())
        self.consent: ConsentText | None = None

    def compose(self) -> ComposeResult:
        """The form, the consent text and the confirmation box."""
        yield Header()
        locked = self.existing is not None
        with VerticalScroll(id="form"):
            if self.resuming is not None:
                yield Static(
                    f"Resuming the protocol of session {self.resuming} in a new session.",
                    classes="notice",
                )
            yield _row("Code", Input(self.initial_code, id="code", compact=True, disabled=locked))
            yield Static("", id="code-error", classes="field-error")
            birth = str(self.existing.birth_year or "") if self.existing else ""
            yield _row("Birth year or age", Input(birth, id="birth", compact=True, disabled=locked))
            yield Static("", id="birth-error", classes="field-error")
            yield _row("Sex", self._select("sex", SEX_VALUES, locked))
            yield _row("Handedness", self._select("handedness", HANDEDNESS_VALUES, locked))
            if not locked:
                yield Label(
                    "Identifying (optional; stored apart, never exported)", classes="section-title"
                )
                for name in TEXT_FIELDS:
                    yield _row(name.capitalize(), Input(id=name, compact=True))
                    yield Static("", id=f"{name}-error", classes="field-error")
            yield Label("Consent", classes="section-title")
            yield Markdown("", id="consent-text")
            yield Checkbox(
                "The participant has read the text above and agrees to take part", id="consent"
            )
            yield Static("", id="consent-error", classes="field-error")
        yield Footer(compact=True, show_command_palette=False)

    def _select(self, name: str, values: tuple[str, ...], locked: bool) -> Select[str]:
        """A compact optional choice, preset from the existing participant."""
        current = getattr(self.existing, name, None) if self.existing else None
        return Select(
            [(value, value) for value in values],
            prompt="(not given)",
            value=current if current else Select.NULL,
            id=name,
            compact=True,
            disabled=locked,
        )

    async def on_mount(self) -> None:
        """Load the consent text, focus the first field."""
        try:
            self.consent = load_consent()
        except InputError as err:
            self.mx.show_error(err, doing="load the consent text")
            return
        await self.query_one("#consent-text", Markdown).update(self.consent.text)
        first = "#consent" if self.existing else "#birth"
        self.query_one(first).focus()

    # -- inline validation -------------------------------------------------------------------

    @on(Input.Changed)
    def field_changed(self, event: Input.Changed) -> None:
        """Check the edited field at once."""
        if event.input.id:
            self._check(event.input.id)

    def _check(self, field: str) -> str | None:
        """Validate one field and show (or clear) its error; returns the error."""
        error = form.field_error(field, self.query_one(f"#{field}", Input).value)
        set_error(self.query_one(f"#{field}-error", Static), error)
        return error

    def _errors(self) -> list[str]:
        """Fields with errors, in form order (the consent box last)."""
        fields = ["code", "birth"] + ([] if self.existing else list(TEXT_FIELDS))
        bad = [field for field in fields if self._check(field)]
        agreed = self.query_one("#consent", Checkbox).value
        message = "" if agreed else "Consent must be confirmed before recording."
        set_error(self.query_one("#consent-error", Static), message)
        return bad + ([] if agreed else ["consent"])

    # -- actions -----------------------------------------------------------------------------

    def action_new_code(self) -> None:
        """Generate another pseudonymous code."""
        if self.existing is None:
            self.query_one("#code", Input).value = generate_code()

    def action_back(self) -> None:
        """Back to Home without saving."""
        self.app.pop_screen()

    def action_continue(self) -> None:
        """Validate everything, save the participant, go on to the board."""
        bad = self._errors()
        if bad:
            self.query_one(f"#{bad[0]}").focus()
            self.query_one(f"#{bad[0]}-error").scroll_visible()  # the message, not just the field
            self.notify("Fix the fields marked in red.", severity="warning")
            return
        if self.consent is None:
            return
        visit = self.mx.visit
        visit.consent = self.consent
        visit.consent_confirmed_at = utc_now_iso()
        if self.existing is not None:
            self.post_message(ParticipantSaved(self.existing))
            return
        inputs = ("code", "birth", *TEXT_FIELDS)
        typed: dict[str, str | None] = {n: self.query_one(f"#{n}", Input).value for n in inputs}
        for name in ("sex", "handedness"):
            choice = self.query_one(f"#{name}", Select).value
            typed[name] = choice if isinstance(choice, str) else None
        entry = form.ParticipantForm.model_validate(typed)
        identity = {name: getattr(entry, name) for name in TEXT_FIELDS}
        self.save(entry.code, entry.birth_year, entry.sex, entry.handedness, identity)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save_the_participant")
    def save(
        self,
        code: str,
        birth_year: int | None,
        sex: str | None,
        handedness: str | None,
        identity: dict[str, str | None],
    ) -> None:
        """Create the participant (worker thread); a refused code comes back inline."""
        try:
            participant = self.mx.store.create_participant(
                code=code or None,
                birth_year=birth_year,
                sex=sex,
                handedness=handedness,
                **identity,
            )
        except InputError as err:
            self.post_message(CodeRefused(str(err)))
            return
        self.post_message(ParticipantSaved(participant))

    def on_code_refused(self, message: CodeRefused) -> None:
        """Show why the store refused the entry next to the code."""
        set_error(self.query_one("#code-error", Static), message.reason)
        self.query_one("#code").focus()

    def on_participant_saved(self, message: ParticipantSaved) -> None:
        """Remember the participant and go to the Device screen."""
        self.mx.visit.participant = message.participant
        self.mx.goto_device()
