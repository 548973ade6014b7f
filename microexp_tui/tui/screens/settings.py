"""Settings: mains, filters, data folder, default protocol and montage, model, step durations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static

from microexp_tui.errors import InputError
from microexp_tui.inference.catalog import available_models
from microexp_tui.settings import Settings, save_settings, validate
from microexp_tui.study.montages import available_presets
from microexp_tui.study.protocols import available_protocols
from microexp_tui.tui.screens.base import FlowScreen, set_error

NUMBER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("filters", "mains_harmonics", "Mains harmonics notched"),
    ("filters", "bandpass_low_hz", "Raw band-pass low (Hz)"),
    ("filters", "bandpass_high_hz", "Raw band-pass high (Hz)"),
    ("filters", "envelope_cutoff_hz", "Envelope low-pass (Hz)"),
    ("checks", "rest_s", "Check: rest (s)"),
    ("checks", "contraction_s", "Check: contraction (s)"),
    ("checks", "calibration_rest_s", "Calibration: rest (s)"),
    ("checks", "mvc_s", "Calibration: max (s)"),
    ("", "trace_window_s", "Trace window (s)"),
    ("", "refresh_hz", "Screen refresh (Hz)"),
)


class SettingsSaved(Message):
    """The settings file was written."""

    def __init__(self, settings: Settings, path: Path) -> None:
        """Carry the settings and where they went."""
        super().__init__()
        self.settings = settings
        self.path = path


def _row(label: str, widget: Input | Select[str] | Select[float]) -> Horizontal:
    """A labelled form row."""
    return Horizontal(Label(label, classes="field-label"), widget, classes="field-row")


class SettingsScreen(FlowScreen):
    """Edits the operator settings; ctrl+s validates and saves them."""

    TITLE = "Settings"
    HELP = (
        "Mains frequency and filter parameters, the folder of the session database (takes "
        "effect at the next start), defaults for new sessions, the live model, and how long "
        "the check and calibration steps last. ctrl+s checks and saves; a wrong value is "
        "named in red and nothing is saved."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        """One row per setting."""
        s = self.mx.settings
        yield Header()
        with VerticalScroll(id="form"):
            yield Static("", id="settings-error", classes="field-error")
            yield _row(
                "Mains frequency",
                Select(
                    [("50 Hz", 50.0), ("60 Hz", 60.0)],
                    value=s.filters.mains_hz,
                    allow_blank=False,
                    id="mains_hz",
                    compact=True,
                ),
            )
            for section, name, label in NUMBER_FIELDS:
                owner = getattr(s, section) if section else s
                yield _row(label, Input(str(getattr(owner, name)), id=name, compact=True))
            yield _row(
                "Data folder",
                Input(s.data_dir, placeholder="(default)", id="data_dir", compact=True),
            )
            yield _row("Operator", Input(s.operator, id="operator", compact=True))
            yield _row(
                "Default protocol",
                self._select("default_protocol", available_protocols(), s.default_protocol),
            )
            yield _row(
                "Default montage",
                self._select("default_montage", available_presets(), s.default_montage),
            )
            yield _row("Live model", self._select("model", available_models(), s.model))
            yield Checkbox(
                "Open stimulus media in the system viewer", s.open_media, id="open_media"
            )
            yield Static(
                f"Saved to {self.mx.settings_path or 'the user config folder'}", classes="dim"
            )
        yield Footer(compact=True)

    @staticmethod
    def _select(name: str, options: list[str], current: str) -> Select[str]:
        """A choice that keeps an unknown current value selectable."""
        values = options if current in options else [*options, current]
        return Select(
            [(v, v) for v in values], value=current, allow_blank=False, id=name, compact=True
        )

    def collect(self) -> Settings:
        """The form's values as new settings; InputError names a field that is not a number."""
        settings = copy.deepcopy(self.mx.settings)
        settings.filters.mains_hz = float(self.query_one("#mains_hz", Select).value)  # type: ignore[arg-type]
        for section, name, label in NUMBER_FIELDS:
            owner = getattr(settings, section) if section else settings
            text = self.query_one(f"#{name}", Input).value.strip()
            kind = type(getattr(owner, name))
            try:
                setattr(owner, name, kind(text))
            except ValueError:
                raise InputError(f"{label}: {text!r} is not a number.") from None
        settings.data_dir = self.query_one("#data_dir", Input).value.strip()
        settings.operator = self.query_one("#operator", Input).value.strip()
        for name in ("default_protocol", "default_montage", "model"):
            setattr(settings, name, str(self.query_one(f"#{name}", Select).value))
        settings.open_media = self.query_one("#open_media", Checkbox).value
        validate(settings)
        return settings

    def action_save(self) -> None:
        """Check the values; save them in a worker, or name what is wrong."""
        error = self.query_one("#settings-error", Static)
        try:
            settings = self.collect()
        except InputError as err:
            set_error(error, str(err))
            return
        set_error(error, None)
        self.save(settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save_the_settings")
    def save(self, settings: Settings) -> None:
        """Write the settings file (worker thread)."""
        path = save_settings(settings, self.mx.settings_path)
        self.post_message(SettingsSaved(settings, path))

    def on_settings_saved(self, message: SettingsSaved) -> None:
        """Use the new settings from now on."""
        self.mx.settings = message.settings
        self.notify(f"Settings saved to {message.path}.")
        self.app.pop_screen()

    def action_back(self) -> None:
        """Leave without saving."""
        self.app.pop_screen()
