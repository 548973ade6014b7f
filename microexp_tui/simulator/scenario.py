"""Scenario files (TOML): scripted expressions, faults and participant behaviour.

See templates/scenarios/example.toml for the documented format. Errors raise InputError
naming the file, the entry and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microexp_tui.device.protocol import MAX_CHANNELS
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.errors import InputError
from microexp_tui.simulator.faults import DEFAULT_DURATION_S, FAULT_KINDS, Fault
from microexp_tui.simulator.participant import (
    PATTERNS,
    Expression,
    ParticipantConfig,
    amplitude_to_counts,
)
from microexp_tui.simulator.signals import ADC_MAX_COUNTS

DEFAULT_AMPLITUDE = 0.6
"""Default apex as a fraction of the maximum: 360 counts, the seed data's active mean."""
_TOP_KEYS = {"description", "signal", "participant", "expression", "fault"}
_SIGNAL_KEYS = {"motion_artifacts_per_min"}
_PARTICIPANT_KEYS = {
    "react_to_markers",
    "latency_ms",
    "reaction_duration_ms",
    "micro_probability",
    "spontaneous",
    "spontaneous_interval_s",
}
_EXPRESSION_KEYS = {"at_s", "emotion", "channels", "duration_ms", "amplitude"}
_EXPRESSION_KEYS |= {"amplitude_counts", "pattern"}
_FAULT_KEYS = {"at_s", "kind", "duration_s", "channels"}


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: what the participant does and which faults happen when."""

    expressions: tuple[Expression, ...] = ()
    faults: tuple[Fault, ...] = ()
    participant: ParticipantConfig = field(default_factory=ParticipantConfig)
    motion_artifacts_per_min: float | None = None
    description: str = ""


class _Table:
    """A TOML table being validated, able to name itself in error messages."""

    def __init__(self, source: str, where: str, data: Any, allowed: set[str]) -> None:
        """Check it is a table whose keys are all known."""
        self.source, self.where = source, where
        if not isinstance(data, dict):
            raise self.error(f"must be a table, found {type(data).__name__}")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.error(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
        self.data: dict[str, Any] = data

    def error(self, message: str, key: str | None = None) -> InputError:
        """An InputError naming the file, this entry and optionally the field."""
        field_part = f", field '{key}'" if key else ""
        return InputError(f"{self.source}: {self.where}{field_part}: {message}")

    def number(self, key: str, low: float, high: float, default: float | None = None) -> float:
        """A number within [low, high]; required when no default is given."""
        value = self.data.get(key, default)
        if value is None:
            raise self.error("is required", key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"must be a number, found {value!r}", key)
        if not low <= value <= high:
            raise self.error(f"must be between {low:g} and {high:g}, found {value:g}", key)
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        """A boolean field."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"must be true or false, found {value!r}", key)
        return value

    def pair(
        self, key: str, low: float, high: float, default: tuple[float, float]
    ) -> tuple[float, float]:
        """A [min, max] pair of numbers within [low, high]."""
        value = self.data.get(key, list(default))
        ok = isinstance(value, list) and len(value) == 2
        if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            raise self.error(f"must be a [min, max] pair of numbers, found {value!r}", key)
        first, second = float(value[0]), float(value[1])
        if not low <= first <= second <= high:
            raise self.error(f"needs {low:g} <= min <= max <= {high:g}, found {value!r}", key)
        return first, second

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        """One of a few strings."""
        value = self.data.get(key, default)
        if value is None:
            raise self.error(f"is required (one of {', '.join(options)})", key)
        if value not in options:
            raise self.error(f"must be one of {', '.join(options)}, found {value!r}", key)
        return str(value)

    def channels(self, key: str) -> tuple[int, ...] | None:
        """0-based channels from a list of 1-based channel numbers, or None when absent."""
        if key not in self.data:
            return None
        value = self.data[key]
        valid = isinstance(value, list) and value
        if not valid or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self.error(f"must be a non-empty list of channel numbers, found {value!r}", key)
        if not all(1 <= v <= MAX_CHANNELS for v in value):
            raise self.error(f"channel numbers are 1..{MAX_CHANNELS}, found {value!r}", key)
        return tuple(sorted({v - 1 for v in value}))


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"Cannot read the scenario file {path}: {err}") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid TOML: {err}") from err
    return parse_scenario(data, str(path))


def parse_scenario(data: dict[str, Any], source: str) -> Scenario:
    """Validate a scenario already parsed from TOML; `source` names it in errors."""
    top = _Table(source, "top level", data, _TOP_KEYS)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise top.error("must be a string", "description")
    signal = _Table(source, "[signal]", data.get("signal", {}), _SIGNAL_KEYS)
    artifacts = signal.data.get("motion_artifacts_per_min")
    return Scenario(
        expressions=tuple(
            _expression(_Table(source, f"[[expression]] entry {n}", entry, _EXPRESSION_KEYS))
            for n, entry in enumerate(_entries(top, "expression"), start=1)
        ),
        faults=tuple(
            _fault(_Table(source, f"[[fault]] entry {n}", entry, _FAULT_KEYS))
            for n, entry in enumerate(_entries(top, "fault"), start=1)
        ),
        participant=_participant(
            _Table(source, "[participant]", data.get("participant", {}), _PARTICIPANT_KEYS)
        ),
        motion_artifacts_per_min=(
            None if artifacts is None else signal.number("motion_artifacts_per_min", 0, 600)
        ),
        description=description,
    )


def _entries(top: _Table, key: str) -> list[Any]:
    """The entries of an array of tables such as [[expression]]."""
    value = top.data.get(key, [])
    if not isinstance(value, list):
        raise top.error(f"must be an array of tables, written [[{key}]]", key)
    return value


def _expression(table: _Table) -> Expression:
    """One scripted expression."""
    has_emotion, has_channels = "emotion" in table.data, "channels" in table.data
    if has_emotion == has_channels:
        raise table.error("give exactly one of 'emotion' or 'channels'")
    if "amplitude" in table.data and "amplitude_counts" in table.data:
        raise table.error("give 'amplitude' (fraction of max) or 'amplitude_counts', not both")
    if "amplitude_counts" in table.data:
        level = table.number("amplitude_counts", 64, ADC_MAX_COUNTS)
    else:
        level = amplitude_to_counts(table.number("amplitude", 0.05, 1.0, DEFAULT_AMPLITUDE))
    emotion = table.choice("emotion", EMOTIONS) if has_emotion else None
    if not has_emotion and "pattern" in table.data:
        raise table.error("only applies to an 'emotion' expression", "pattern")
    return Expression(
        onset_s=table.number("at_s", 0, 1e6),
        duration_s=table.number("duration_ms", 20, 600_000) / 1000,
        level_counts=level,
        emotion=emotion,
        channels=table.channels("channels") or (),
        pattern=table.choice("pattern", PATTERNS, "both"),
    )


def _fault(table: _Table) -> Fault:
    """One scripted fault."""
    kind = table.choice("kind", FAULT_KINDS)
    return Fault(
        kind=kind,
        start_s=table.number("at_s", 0, 1e6),
        duration_s=table.number("duration_s", 0.001, 1e6, DEFAULT_DURATION_S[kind]),
        channels=table.channels("channels"),
    )


def _participant(table: _Table) -> ParticipantConfig:
    """The participant's unscripted behaviour."""
    defaults = ParticipantConfig()
    return ParticipantConfig(
        react_to_markers=table.flag("react_to_markers", defaults.react_to_markers),
        latency_ms=table.pair("latency_ms", 0, 60_000, defaults.latency_ms),
        reaction_duration_ms=table.pair(
            "reaction_duration_ms", 20, 600_000, defaults.reaction_duration_ms
        ),
        micro_probability=table.number("micro_probability", 0, 1, defaults.micro_probability),
        spontaneous=table.flag("spontaneous", defaults.spontaneous),
        spontaneous_interval_s=table.pair(
            "spontaneous_interval_s", 0.1, 3600, defaults.spontaneous_interval_s
        ),
    )
