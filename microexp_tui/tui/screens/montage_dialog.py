"""Editing one montage channel: label, muscle, sensor kind and action units."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from microexp_tui.domain.channels import SENSOR_KINDS, ChannelSpec
from microexp_tui.study.montages import MUSCLES, muscle_named
from microexp_tui.tui.screens.base import set_error
from microexp_tui.tui.screens.dialogs import hint

UNASSIGNED = "(unassigned)"


def parse_units(text: str) -> tuple[str, ...] | None:
    """Action units from `AU6, AU7`; None when an entry is not like AU12."""
    units = tuple(
        part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()
    )
    if all(unit.startswith("AU") and unit[2:].isdigit() for unit in units):
        return units
    return None


class ChannelDialog(ModalScreen[ChannelSpec | None]):
    """A small form for one channel; Escape cancels, ctrl+s saves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, spec: ChannelSpec) -> None:
        """Edit a copy of `spec`."""
        super().__init__(classes="dialog-screen")
        self.spec = spec

    def compose(self) -> ComposeResult:
        """Label, muscle, kind, AUs, buttons."""
        spec = self.spec
        muscles = [(UNASSIGNED, UNASSIGNED)] + [(m.name, m.name) for m in MUSCLES]
        with Vertical(classes="dialog"):
            yield Label(f"Channel {spec.index + 1}", classes="dialog-title")
            with Horizontal(classes="field-row"):
                yield Label("Label", classes="field-label")
                yield Input(spec.label, id="label", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Muscle", classes="field-label")
                yield Select(
                    muscles,
                    value=spec.muscle or UNASSIGNED,
                    id="muscle",
                    allow_blank=False,
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label("Sensor kind", classes="field-label")
                yield Select(
                    [(kind, kind) for kind in SENSOR_KINDS],
                    value=spec.sensor_kind,
                    id="kind",
                    allow_blank=False,
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label("Action units", classes="field-label")
                yield Input(", ".join(spec.action_units), id="units", compact=True)
            yield Static("", id="channel-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(hint("Save", "enter"), variant="primary", id="save")
                yield Button(hint("Cancel", "esc"), id="cancel")

    @on(Select.Changed, "#muscle")
    def muscle_changed(self, event: Select.Changed) -> None:
        """Fill the action units of the chosen muscle."""
        muscle = muscle_named(str(event.value))
        if muscle is not None:
            self.query_one("#units", Input).value = ", ".join(muscle.action_units)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a text field saves."""
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Save or cancel by button."""
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        """Validate and return the edited channel."""
        units = parse_units(self.query_one("#units", Input).value)
        label = self.query_one("#label", Input).value.strip()
        if units is None or not label:
            set_error(
                self.query_one("#channel-error", Static),
                "Give a label, and action units like AU6, AU12 (comma-separated).",
            )
            return
        muscle = str(self.query_one("#muscle", Select).value)
        self.dismiss(
            ChannelSpec(
                index=self.spec.index,
                label=label,
                muscle=None if muscle == UNASSIGNED else muscle,
                sensor_kind=str(self.query_one("#kind", Select).value),
                action_units=units,
            )
        )

    def action_cancel(self) -> None:
        """Close without changes."""
        self.dismiss(None)
