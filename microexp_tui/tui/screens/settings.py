"""Settings: mains, filters, data folder, default protocol and montage, model, step durations.

Each row shows where its value came from: `default`, `file` (the settings file) or `env` (a
`MICROEXP_*` environment variable, named under the row, which overrides the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static

from microexp_tui.errors import InputError
from microexp_tui.inference.catalog import available_models
from microexp_tui.settings import (
    DEFAULT_SOURCE,
    ENV_PREFIX,
    PROGRAM_SOURCE,
    Settings,
    from_values,
    load_settings,
    save_settings,
)
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
    ("checks", "reuse_max_age_min", "Reuse on resume (min)"),
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


def _source_label(source: str) -> str:
    """The short name of a value's source shown beside it: default, program, env or file."""
    if source in (DEFAULT_SOURCE, PROGRAM_SOURCE):
        return source
    return "env" if source.startswith(ENV_PREFIX) else "file"


class SettingsScreen(FlowScreen):
    """Edits the operator settings; ctrl+s validates and saves them."""

    DEFAULT_CSS = """
    SettingsScreen .field-row Checkbox {
        width: 1fr;
    }
    SettingsScreen .field-source {
        width: 8;
        margin-left: 1;
        color: $text-muted;
    }
    SettingsScreen .source-note {
        color: $text-muted;
        margin: 0 1 0 25;
    }
    """
    TITLE = "Settings"
    HELP = (
        "Mains frequency and filter parameters, the folder of the session database (takes "
        "effect at the next start), defaults for new sessions, the live model, and how long "
        "the check and calibration steps last. Beside each value: where it came from "
        "(default, the settings file, or an environment variable, which overrides the file). "
        "ctrl+s checks and saves; a wrong value is named in red and nothing is saved."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        """One row per setting, each with the source of its value."""
        s = self.mx.settings
        yield Header()
        with VerticalScroll(id="form"):
            yield Static("", id="settings-error", classes="field-error")
            yield from self._row(
                "filters.mains_hz",
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
                path = f"{section}.{name}" if section else name
                widget = Input(str(getattr(owner, name)), id=name, compact=True)
                yield from self._row(path, label, widget)
            yield from self._row(
                "data_dir",
                "Data folder",
                Input(s.data_dir, placeholder="(default)", id="data_dir", compact=True),
            )
            yield from self._row(
                "operator", "Operator", Input(s.operator, id="operator", compact=True)
            )
            yield from self._row(
                "default_protocol",
                "Default protocol",
                self._select("default_protocol", available_protocols(), s.default_protocol),
            )
            yield from self._row(
                "default_montage",
                "Default montage",
                self._select("default_montage", available_presets(), s.default_montage),
            )
            yield from self._row(
                "model", "Live model", self._select("model", available_models(), s.model)
            )
            yield from self._row(
                "open_media",
                "Open stimulus media",
                Checkbox("in the system viewer", s.open_media, id="open_media", compact=True),
            )
            where = self.mx.settings_path or "the user config folder"
            yield Static(
                f"Saved to {where}. Sources: default, file (this file), env (a MICROEXP_* "
                "variable: it overrides the file).",
                classes="dim",
            )
        yield Footer(compact=True, show_command_palette=False)

    def _row(
        self, path: str, label: str, widget: Input | Select[str] | Select[float] | Checkbox
    ) -> Iterator[Widget]:
        """A labelled form row with its value's source, and the variable that set it if any."""
        source = self.mx.settings.source_of(path)
        yield Horizontal(
            Label(label, classes="field-label"),
            widget,
            Label(_source_label(source), classes="field-source"),
            classes="field-row",
        )
        if source.startswith(ENV_PREFIX):
            yield Static(f"from {source}", classes="source-note")

    @staticmethod
    def _select(name: str, options: list[str], current: str) -> Select[str]:
        """A choice that keeps an unknown current value selectable."""
        values = options if current in options else [*options, current]
        return Select(
            [(v, v) for v in values], value=current, allow_blank=False, id=name, compact=True
        )

    def collect(self) -> Settings:
        """The form's values as new settings; InputError names a field that is not allowed."""
        values: dict[str, Any] = self.mx.settings.as_dict()
        values["filters"]["mains_hz"] = self.query_one("#mains_hz", Select).value
        for section, name, _label in NUMBER_FIELDS:
            owner = values[section] if section else values
            owner[name] = self.query_one(f"#{name}", Input).value.strip()
        for name in ("data_dir", "operator"):
            values[name] = self.query_one(f"#{name}", Input).value.strip()
        for name in ("default_protocol", "default_montage", "model"):
            values[name] = str(self.query_one(f"#{name}", Select).value)
        values["open_media"] = self.query_one("#open_media", Checkbox).value
        return from_values(values)

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
        """Write the settings file, then read it back as the program will (worker thread).

        Reading it back applies the environment variables again, so what the app uses next
        is what it would use after a restart (and the sources shown stay true).
        """
        path = save_settings(settings, self.mx.settings_path)
        self.post_message(SettingsSaved(load_settings(path), path))

    def on_settings_saved(self, message: SettingsSaved) -> None:
        """Use the new settings from now on."""
        self.mx.settings = message.settings
        self.notify(f"Settings saved to {message.path}.")
        self.app.pop_screen()

    def action_back(self) -> None:
        """Leave without saving."""
        self.app.pop_screen()
