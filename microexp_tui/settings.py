"""Operator settings: defaults, then the settings file, then `MICROEXP_*` environment variables.

The file is `settings.toml` in the user config directory, or `$MICROEXP_CONFIG_FILE`. Each
field can be overridden by one environment variable: `MICROEXP_` + the field in capitals
for a top-level field (`MICROEXP_OPERATOR`, `MICROEXP_DATA_DIR`), `MICROEXP_` + section +
`_` + field for a field of a section (`MICROEXP_FILTERS_MAINS_HZ=60`,
`MICROEXP_CHECKS_REST_S=3`); `environment_variables()` lists them all. Every value is
checked by the schema below (the field docstrings are its documentation), and
`Settings.source_of` tells where each value came from.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

from platformdirs import user_config_dir
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.device.rate_limits import MAX_RATE_HZ
from microexp_tui.errors import InputError, MicroexpError
from microexp_tui.inference.catalog import DEFAULT_MODEL
from microexp_tui.paths import APP_NAME, DATA_DIR_ENV, SEED_DIR_ENV, data_dir
from microexp_tui.schema.problems import Problem, invalid, problems_of, validate_file
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import Line, PathText, Seed

if TYPE_CHECKING:
    from microexp_tui.expressions.stimulus_response import ResponseRule

logger = logging.getLogger(__name__)

CONFIG_FILE_ENV = "MICROEXP_CONFIG_FILE"
ENV_PREFIX = "MICROEXP_"
DEFAULT_SOURCE = "default"
"""The source of a value neither the file nor the environment sets."""
PROGRAM_SOURCE = "program"
"""The source of a value the program set on settings it built (not loaded from anywhere)."""
MAINS_FREQUENCIES_HZ = (50.0, 60.0)
MAX_MAINS_HARMONICS = int(MAX_RATE_HZ / 2 // MAINS_FREQUENCIES_HZ[0])
"""More multiples of 50 Hz than this lie above the Nyquist frequency of the fastest board rate."""
VALIDATION_RATE_HZ = 1000.0
"""Sample rate at which the filter settings must be realisable (the seed data's rate)."""
CheckSeconds = Annotated[float, Field(ge=0.5, le=120)]


def _power_line(frequency_hz: float) -> float:
    """Mains is 50 or 60 Hz."""
    if frequency_hz not in MAINS_FREQUENCIES_HZ:
        raise ValueError("must be 50 or 60 (the lab's power-line frequency in Hz)")
    return frequency_hz


class _Section(BaseModel):
    """Base of a settings section: unknown keys refused, finite numbers, docstrings documented."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, use_attribute_docstrings=True)


class FilterPrefs(_Section):
    """Live filter parameters (see microexp_tui.dsp.filters.FilterSettings)."""

    mains_hz: Annotated[float, AfterValidator(_power_line)] = 50.0
    """Power-line frequency of the lab: 50 or 60 Hz."""
    mains_harmonics: Annotated[int, Field(ge=0, le=MAX_MAINS_HARMONICS)] = 8
    """How many multiples of the mains frequency to notch (0 disables)."""
    bandpass_low_hz: Annotated[float, Field(gt=0, le=VALIDATION_RATE_HZ)] = 20.0
    """Raw channels: band-pass low edge."""
    bandpass_high_hz: Annotated[float, Field(gt=0, le=MAX_RATE_HZ)] = 450.0
    """Raw channels: band-pass high edge."""
    envelope_cutoff_hz: Annotated[float, Field(gt=0, le=VALIDATION_RATE_HZ)] = 6.0
    """Envelope smoothing low-pass."""

    @model_validator(mode="after")
    def _realisable(self) -> Self:
        """The filters must be realisable at VALIDATION_RATE_HZ (edges ordered, below Nyquist);
        the defaults are (a test checks), so only changed values load the filter rules (scipy)."""
        fields = type(self).model_fields
        if all(getattr(self, name) == field.default for name, field in fields.items()):
            return self
        from microexp_tui.dsp.filters import FilterSettings

        try:
            FilterSettings(
                sample_rate_hz=VALIDATION_RATE_HZ,
                mains_hz=self.mains_hz,
                mains_harmonics=self.mains_harmonics,
                bandpass_low_hz=self.bandpass_low_hz,
                bandpass_high_hz=self.bandpass_high_hz,
                envelope_cutoff_hz=self.envelope_cutoff_hz,
            )
        except MicroexpError as err:
            raise ValueError(f"cannot be realised ({err})") from None
        return self


class CheckPrefs(_Section):
    """Durations of the electrode check and calibration steps, in seconds of sample time."""

    rest_s: CheckSeconds = 5.0
    """Electrode check: rest window for noise, mains, clipping and flat-line metrics."""
    contraction_s: CheckSeconds = 3.0
    """Electrode check: window of each guided contraction."""
    calibration_rest_s: CheckSeconds = 5.0
    """Calibration: rest baseline window."""
    mvc_s: CheckSeconds = 3.0
    """Calibration: maximal contraction window per muscle."""
    reuse_max_age_min: Annotated[float, Field(ge=0, le=24 * 60)] = 60.0
    """Resuming within a visit reuses consent, electrode check and calibration this recent
    (minutes; 0 repeats them every time)."""


class TrialPrefs(_Section, TrialOptions):
    """Default windows of `microexp trials` (the fields of TrialOptions, settable here)."""

    @field_validator("baseline_s", "window_s", mode="before")
    @classmethod
    def _array(cls, value: Any) -> Any:
        """A TOML array (a list) is a window's (start, end) pair."""
        return tuple(value) if isinstance(value, list) else value


class Settings(BaseModel):
    """Everything an operator can set in the Settings screen (constructing it reads nothing)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, use_attribute_docstrings=True)

    filters: FilterPrefs = Field(default_factory=FilterPrefs)
    """Live filter parameters."""
    checks: CheckPrefs = Field(default_factory=CheckPrefs)
    """Durations of the electrode check and calibration steps."""
    trials: TrialPrefs = Field(default_factory=TrialPrefs)
    """Default baseline and response windows, bin width and SD limit of trial tables."""
    data_dir: PathText = ""
    """Folder of the session database; empty means the default user data directory."""
    default_protocol: PathText = "demo"
    """Stimulus protocol preselected for new sessions (name in templates/protocols/ or path)."""
    response_lead_s: Annotated[float, Field(ge=0, le=5)] = 0.3
    """Per-stimulus rule: a reaction starting up to this long before a stimulus onset still
    answers it (0-5 s; Review, report and exports apply the same rule)."""
    response_after_s: Annotated[float, Field(ge=0, le=30)] = 1.0
    """Per-stimulus rule: a reaction starting up to this long after a stimulus offset still
    answers it (0-30 s)."""
    protocol_seed: Seed | None = None
    """Seed of every new session's stimulus order (tests, demonstrations); left out, each
    session draws its own. A protocol file's own `seed` (replications) comes first."""
    default_montage: Line = "seed8"
    """Montage preset preselected on the Device screen (templates/montages/)."""
    model: PathText = DEFAULT_MODEL
    """Live emotion model (a name from models/ or an .onnx path), or `none`. The default,
    the shipped `cnn_window`, is skipped with a message where it does not fit a session;
    any other model that does not fit stops `microexp record` (exit 6)."""
    operator: Line = ""
    """Operator name written to the session and audit log (kept out of exports)."""
    open_media: bool = True
    """Open a stimulus's image or video in the system viewer when it has one."""
    trace_window_s: Annotated[float, Field(ge=1, le=20)] = 5.0
    """Seconds of signal shown by the live traces (1-20)."""
    refresh_hz: Annotated[float, Field(ge=10, le=30)] = 20.0
    """How often the live screens read the ring buffer (10-30 Hz)."""

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    def response_rule(self) -> ResponseRule:
        """The per-stimulus rule's response window these settings ask for."""
        from microexp_tui.expressions.stimulus_response import ResponseRule

        return ResponseRule(self.response_lead_s, self.response_after_s)

    def database_dir(self) -> Path:
        """Folder holding the session database."""
        return Path(self.data_dir).expanduser() if self.data_dir else data_dir()

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict (for TOML and the session's settings snapshot)."""
        return self.model_dump()

    def source_of(self, field_path: str) -> str:
        """Where `field_path` ("filters.mains_hz") came from: a file path, a variable's name,
        DEFAULT_SOURCE, or PROGRAM_SOURCE for a value the program set (not loaded)."""
        if field_path in self._sources:
            return self._sources[field_path]
        unchanged = _value_at(self, field_path) == _value_at(Settings(), field_path)
        return DEFAULT_SOURCE if unchanged else PROGRAM_SOURCE


def _value_at(model: BaseModel, field_path: str) -> Any:
    """The value at a dotted field path ("filters.mains_hz")."""
    value: Any = model
    for name in field_path.split("."):
        value = getattr(value, name)
    return value


class SettingsVariables(BaseSettings, Settings):
    """How environment variables name the settings (read by `_EnvironmentSource`, never built)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="_", env_nested_max_split=1
    )


class _EnvironmentSource(EnvSettingsSource):
    """The settings' environment variables, read from a given mapping instead of os.environ.

    pydantic-settings reads os.environ in `_load_env_vars`; overriding it is how a caller (and
    a test) hands it another environment without changing the process's.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        """Read `environ` (names are matched case-insensitively, like pydantic-settings does)."""
        self._environ = environ
        super().__init__(SettingsVariables)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        """The mapping given, with lower-case names."""
        return {name.lower(): value for name, value in self._environ.items()}


def environment_variable(field_path: str) -> str:
    """The variable that overrides a field: "checks.rest_s" -> MICROEXP_CHECKS_REST_S."""
    return ENV_PREFIX + field_path.replace(".", "_").upper()


def field_paths() -> list[str]:
    """Every settings field, sections first (e.g. "filters.mains_hz", ..., "refresh_hz")."""
    sections = _sections()
    paths: list[str] = []
    for name in Settings.model_fields:
        inner = sections[name].model_fields if name in sections else {}
        paths.extend([f"{name}.{field}" for field in inner] if inner else [name])
    return paths


def _sections() -> dict[str, type[BaseModel]]:
    """Fields of Settings that are sections, with their models ("filters": FilterPrefs, ...)."""
    return {
        name: info.annotation
        for name, info in Settings.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, _Section)
    }


def environment_variables() -> dict[str, str]:
    """Every variable that overrides a setting, with the field it overrides."""
    return {environment_variable(path): path for path in field_paths()}


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where settings are read from and saved to ($MICROEXP_CONFIG_FILE of `environ`, else
    of the process's environment, else settings.toml in the user config directory)."""
    override = (os.environ if environ is None else environ).get(CONFIG_FILE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the file (if it exists), then environment overrides; all checked."""
    environ = os.environ if environ is None else environ
    path = path or config_path(environ)
    file_values: dict[str, Any] = {}
    if path.exists():
        settings_file = read_person_file(path, "settings file")
        validate_file(Settings, settings_file, "Fix or delete it.", noun="setting")
        file_values = settings_file.data
    _warn_about_unknown_variables(environ)
    env_values = _EnvironmentSource(environ)()
    settings = _with_environment(file_values, env_values)
    sources = {key: str(path) for key in _leaf_paths(file_values)}
    sources |= {key: environment_variable(key) for key in _leaf_paths(env_values)}
    settings._sources = sources
    return settings


def _with_environment(file_values: dict[str, Any], env_values: dict[str, Any]) -> Settings:
    """Settings from checked file values overridden by environment values (text, converted)."""
    merged = {**file_values}
    for key, value in env_values.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = {**merged[key], **value} if both else value
    try:
        return Settings.model_validate(merged)
    except ValidationError as err:
        set_paths = _leaf_paths(env_values)
        problems = [
            Problem(_variables_under(problem.path, set_paths), problem.text, problem.unknown)
            for problem in problems_of(err)
        ]
        where = "Settings from the environment"
        raise invalid(where, problems, "Fix or unset the variable.", "variable") from None


def _variables_under(field_path: str, set_paths: list[str]) -> str:
    """The variables set for a field, or for the fields of a section ("MICROEXP_A, MICROEXP_B")."""
    inside = [p for p in set_paths if p == field_path or p.startswith(f"{field_path}.")]
    return ", ".join(environment_variable(p) for p in inside or [field_path])


def _leaf_paths(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the values in a nested dict ("filters.mains_hz", "operator", ...)."""
    paths = []
    for key, value in values.items():
        if isinstance(value, Mapping):
            paths.extend(_leaf_paths(value, f"{prefix}{key}."))
        else:
            paths.append(f"{prefix}{key}")
    return paths


def _warn_about_unknown_variables(environ: Mapping[str, str]) -> None:
    """Log a `MICROEXP_*` variable that is neither a setting nor a path override."""
    known = [*environment_variables(), CONFIG_FILE_ENV, DATA_DIR_ENV, SEED_DIR_ENV]
    sections = tuple(environment_variable(f"{name}.") for name in _sections())
    for name in environ:
        upper = name.upper()
        in_a_section = upper.startswith(sections)  # refused by the schema, with its name
        if upper.startswith(ENV_PREFIX) and upper not in known and not in_a_section:
            close = difflib.get_close_matches(upper, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            logger.warning("Environment variable %s is not a setting and is ignored%s", name, hint)


def from_values(values: Mapping[str, Any], where: str = "Settings") -> Settings:
    """Settings from a nested dict of values (text from a form is converted); InputError."""
    try:
        return Settings.model_validate(values)
    except ValidationError as err:
        raise invalid(where, problems_of(err, Settings), "Fix the value.", "setting") from None


def validate(settings: Settings) -> None:
    """Refuse settings the program cannot run with, naming the field and what is allowed."""
    from_values(settings.as_dict())


def to_toml(settings: Settings) -> str:
    """The settings as a TOML document (top-level keys, then one table per section)."""
    lines: list[str] = ["# microexp-tui settings (written by the Settings screen)"]
    tables: list[str] = []
    for name, value in settings.as_dict().items():
        if value is None:  # TOML has no null: a value left out is its default
            continue
        if isinstance(value, dict):
            tables.append(f"\n[{name}]")
            tables.extend(f"{key} = {_toml_value(inner)}" for key, inner in value.items())
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines + tables) + "\n"


def _toml_value(value: Any) -> str:
    """One scalar as TOML (a JSON string is a valid TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(inner) for inner in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


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
