"""Operator settings: a TOML file, then `MICROEXP_*` environment variables, validated.

The file is `settings.toml` in the user config directory, or `$MICROEXP_CONFIG_FILE`
(tests use that). Environment variables override single fields: `MICROEXP_MAINS_HZ=60`,
`MICROEXP_CHECKS_REST_S=2`, i.e. `MICROEXP_` + (section + `_` when nested) + field.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from microexp_tui.errors import InputError, MicroexpError
from microexp_tui.paths import APP_NAME, data_dir

CONFIG_FILE_ENV = "MICROEXP_CONFIG_FILE"
ENV_PREFIX = "MICROEXP_"


@dataclass
class FilterPrefs:
    """Live filter parameters (see microexp_tui.dsp.filters.FilterSettings)."""

    mains_hz: float = 50.0
    """Power-line frequency of the lab: 50 or 60 Hz."""
    mains_harmonics: int = 8
    """How many multiples of the mains frequency to notch (0 disables)."""
    bandpass_low_hz: float = 20.0
    """Raw channels: band-pass low edge."""
    bandpass_high_hz: float = 450.0
    """Raw channels: band-pass high edge."""
    envelope_cutoff_hz: float = 6.0
    """Envelope smoothing low-pass."""


@dataclass
class CheckPrefs:
    """Durations of the electrode check and calibration steps, in seconds of sample time."""

    rest_s: float = 5.0
    """Electrode check: rest window for noise, mains, clipping and flat-line metrics."""
    contraction_s: float = 3.0
    """Electrode check: window of each guided contraction."""
    calibration_rest_s: float = 5.0
    """Calibration: rest baseline window."""
    mvc_s: float = 3.0
    """Calibration: maximal contraction window per muscle."""


@dataclass
class Settings:
    """Everything an operator can set in the Settings screen."""

    filters: FilterPrefs = field(default_factory=FilterPrefs)
    checks: CheckPrefs = field(default_factory=CheckPrefs)
    data_dir: str = ""
    """Folder of the session database; empty means the default user data directory."""
    default_protocol: str = "demo"
    """Stimulus protocol preselected for new sessions (name in templates/protocols/ or path)."""
    default_montage: str = "seed8"
    """Montage preset preselected on the Device screen (templates/montages/)."""
    model: str = "none"
    """Live emotion model (a name from models/), or `none`."""
    operator: str = ""
    """Operator name written to the session and audit log (kept out of exports)."""
    open_media: bool = True
    """Open a stimulus's image or video in the system viewer when it has one."""
    trace_window_s: float = 5.0
    """Seconds of signal shown by the live traces."""
    refresh_hz: float = 20.0
    """How often the live screens read the ring buffer (10-30 Hz)."""

    def database_dir(self) -> Path:
        """Folder holding the session database."""
        return Path(self.data_dir).expanduser() if self.data_dir else data_dir()

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict (for TOML and the session's settings snapshot)."""
        return dataclasses.asdict(self)


def config_path() -> Path:
    """Where settings are read from and saved to."""
    override = os.environ.get(CONFIG_FILE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then the file (if it exists), then environment overrides; validated."""
    path = path or config_path()
    environ = dict(os.environ) if environ is None else environ
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as err:
            raise InputError(
                f"{path}: cannot read the settings ({err}). Fix or delete it."
            ) from err
    settings = from_dict(data, str(path))
    apply_environment(settings, environ)
    validate(settings)
    return settings


def from_dict(data: dict[str, Any], where: str) -> Settings:
    """Settings from a nested dict, refusing unknown keys and wrong types by name."""
    settings = Settings()
    _assign(settings, data, where, "")
    return settings


def _assign(target: Any, data: dict[str, Any], where: str, prefix: str) -> None:
    """Copy known keys of `data` onto a settings dataclass, checking each value's type."""
    known = {f.name: f for f in fields(target)}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise InputError(f"{where}: unknown setting {name!r}; remove it or fix its name.")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise InputError(f"{where}: setting {name!r} must be a table ([{name}]).")
            _assign(current, value, where, f"{name}.")
        else:
            setattr(target, key, _coerce(value, type(current), where, name))


def _coerce(value: Any, kind: type, where: str, name: str) -> Any:
    """A value converted to the type of the field's default, or InputError naming the field."""
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.strip().lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                return value.strip().lower() in ("1", "true", "yes")
            return bool(value)
        if kind in (int, float) and isinstance(value, bool):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise InputError(
            f"{where}: setting {name!r} must be a {kind.__name__}, not {value!r}."
        ) from None


def apply_environment(settings: Settings, environ: dict[str, str]) -> None:
    """Override fields from `MICROEXP_<FIELD>` and `MICROEXP_<SECTION>_<FIELD>` variables."""
    for top in fields(settings):
        value = getattr(settings, top.name)
        if dataclasses.is_dataclass(value):
            for inner in fields(value):
                key = f"{ENV_PREFIX}{top.name}_{inner.name}".upper()
                if key in environ:
                    current = getattr(value, inner.name)
                    coerced = _coerce(environ[key], type(current), "environment", key)
                    setattr(value, inner.name, coerced)
        else:
            key = f"{ENV_PREFIX}{top.name}".upper()
            if key in environ:
                setattr(settings, top.name, _coerce(environ[key], type(value), "environment", key))


def validate(settings: Settings) -> None:
    """Refuse settings the program cannot run with, naming the field and the fix."""
    from microexp_tui.dsp.filters import FilterSettings

    f = settings.filters
    try:
        FilterSettings(
            sample_rate_hz=1000.0,
            mains_hz=f.mains_hz,
            mains_harmonics=f.mains_harmonics,
            bandpass_low_hz=f.bandpass_low_hz,
            bandpass_high_hz=f.bandpass_high_hz,
            envelope_cutoff_hz=f.envelope_cutoff_hz,
        )
    except MicroexpError as err:
        raise InputError(f"Filter settings: {err}") from err
    for check in fields(settings.checks):
        seconds = getattr(settings.checks, check.name)
        if not 0.5 <= seconds <= 120:
            raise InputError(f"Setting checks.{check.name} = {seconds} s: use 0.5 to 120 s.")
    if not 10 <= settings.refresh_hz <= 30:
        raise InputError(f"Setting refresh_hz = {settings.refresh_hz}: use 10 to 30 Hz.")
    if not 1 <= settings.trace_window_s <= 20:
        raise InputError(f"Setting trace_window_s = {settings.trace_window_s}: use 1 to 20 s.")


def to_toml(settings: Settings) -> str:
    """The settings as a TOML document (top-level keys, then one table per section)."""
    lines: list[str] = ["# microexp-tui settings (written by the Settings screen)"]
    tables: list[str] = []
    for name, value in settings.as_dict().items():
        if isinstance(value, dict):
            tables.append(f"\n[{name}]")
            tables.extend(f"{key} = {_toml_value(inner)}" for key, inner in value.items())
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines + tables) + "\n"


def _toml_value(value: Any) -> str:
    """One scalar as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Validate and write the settings file (0600); returns its path."""
    validate(settings)
    path = path or config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_toml(settings), encoding="utf-8")
        path.chmod(0o600)
    except OSError as err:
        raise InputError(f"Cannot save the settings to {path}: {err.strerror or err}.") from err
    return path
