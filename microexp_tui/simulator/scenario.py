"""Scenario files (TOML): scripted expressions, faults and participant behaviour.

See templates/scenarios/example.toml for the documented format. Errors raise InputError
naming the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from microexp_tui.device.protocol import MAX_CHANNELS
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.schema.problems import validate_file
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import FileModel, FiniteFloat, Text, one_of
from microexp_tui.simulator.faults import DEFAULT_DURATION_S, FAULT_KINDS, Fault
from microexp_tui.simulator.participant import (
    PATTERNS,
    ParticipantConfig,
    ScriptedExpression,
    amplitude_to_counts,
)
from microexp_tui.simulator.signals import ADC_MAX_COUNTS

DEFAULT_AMPLITUDE = 0.6
"""Default apex as a fraction of the maximum: 360 counts, the seed data's active mean."""
MAX_AT_S = 1e6
"""Latest time (seconds of sample time since START) a scripted event may happen."""
MAX_ENTRIES = 100_000
"""Most [[expression]] or [[fault]] entries in one scenario."""
SCENARIO_HINT = "Fix the file and try again (templates/scenarios/example.toml shows the format)."


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: what the participant does and which faults happen when."""

    expressions: tuple[ScriptedExpression, ...] = ()
    faults: tuple[Fault, ...] = ()
    participant: ParticipantConfig = field(default_factory=ParticipantConfig)
    motion_artifacts_per_min: float | None = None
    description: str = ""


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; InputError naming the file, line and field."""
    return validate_file(
        ScenarioFile, read_person_file(path, "scenario"), SCENARIO_HINT
    ).to_scenario()


def ordered_within(low: float, high: float) -> Callable[[list[float]], list[float]]:
    """A validator of a [min, max] pair with low <= min <= max <= high."""

    def check(pair: list[float]) -> list[float]:
        """The pair itself when ordered and within the bounds."""
        if not low <= pair[0] <= pair[1] <= high:
            raise ValueError(f"must be a [min, max] pair with {low:g} <= min <= max <= {high:g}")
        return pair

    return check


Pair = Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)]
ChannelNumbers = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_CHANNELS)]],
    Field(min_length=1, max_length=MAX_CHANNELS),
]
"""Channels numbered 1..MAX_CHANNELS, like the seed data's s1..s8."""
AtSeconds = Annotated[float, Field(ge=0, le=MAX_AT_S)]


def zero_based(channels: list[int] | None) -> tuple[int, ...] | None:
    """0-based channel indices from 1-based channel numbers (sorted, each once)."""
    return None if channels is None else tuple(sorted({number - 1 for number in channels}))


class SignalFile(FileModel):
    """`[signal]`: artifacts added to every channel."""

    motion_artifacts_per_min: Annotated[float, Field(ge=0, le=600)] | None = None
    """Large fast deflections on several channels (0 = none)."""


class ParticipantFile(FileModel):
    """`[participant]`: behaviour beyond the script (defaults: ParticipantConfig)."""

    react_to_markers: bool | None = None
    latency_ms: Annotated[Pair, AfterValidator(ordered_within(0, 60_000))] | None = None
    reaction_duration_ms: Annotated[Pair, AfterValidator(ordered_within(20, 600_000))] | None = None
    micro_probability: Annotated[float, Field(ge=0, le=1)] | None = None
    spontaneous: bool | None = None
    spontaneous_interval_s: Annotated[Pair, AfterValidator(ordered_within(0.1, 3600))] | None = None

    def to_config(self) -> ParticipantConfig:
        """The participant's behaviour: what the file sets, defaults for the rest."""
        given = self.model_dump(exclude_unset=True)
        pairs_as_tuples: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in given.items()
        }
        return replace(ParticipantConfig(), **pairs_as_tuples)


class ExpressionFile(FileModel):
    """One `[[expression]]`: an emotion's muscle pair or explicit channels, when and how long."""

    at_s: AtSeconds
    """When the envelope crosses half its apex on the way up."""
    emotion: Annotated[str, AfterValidator(one_of(EMOTIONS))] | None = None
    channels: ChannelNumbers | None = None
    duration_ms: Annotated[float, Field(ge=20, le=600_000)]
    """How long the envelope stays above half its apex (under 500 ms: a micro-expression)."""
    amplitude: Annotated[float, Field(ge=0.05, le=1.0)] | None = None
    """Apex as a fraction of the maximum (default DEFAULT_AMPLITUDE)."""
    amplitude_counts: Annotated[float, Field(ge=64, le=ADC_MAX_COUNTS)] | None = None
    """Apex in ADC counts (instead of `amplitude`)."""
    pattern: Annotated[str, AfterValidator(one_of(PATTERNS))] | None = None
    """Which muscles of the emotion's pair contract (emotion expressions only)."""

    @field_validator("pattern")
    @classmethod
    def _pattern_needs_an_emotion(cls, pattern: str | None, info: ValidationInfo) -> str | None:
        """A pattern picks muscles of an emotion's pair, so it needs an emotion."""
        if pattern is not None and "emotion" in info.data and info.data["emotion"] is None:
            raise ValueError("only applies to an 'emotion' expression")
        return pattern

    @model_validator(mode="after")
    def _one_way_to_say_each_thing(self) -> Self:
        """Exactly one of emotion or channels; at most one of the two amplitudes."""
        if (self.emotion is None) == (self.channels is None):
            raise ValueError("must give exactly one of 'emotion' or 'channels'")
        if self.amplitude is not None and self.amplitude_counts is not None:
            raise ValueError(
                "must give 'amplitude' (fraction of max) or 'amplitude_counts', not both"
            )
        return self

    def to_expression(self) -> ScriptedExpression:
        """The scripted expression."""
        if self.amplitude_counts is not None:
            level_counts = self.amplitude_counts
        else:
            level_counts = amplitude_to_counts(self.amplitude or DEFAULT_AMPLITUDE)
        return ScriptedExpression(
            onset_s=self.at_s,
            duration_s=self.duration_ms / 1000,
            level_counts=level_counts,
            emotion=self.emotion,
            channels=zero_based(self.channels) or (),
            pattern=self.pattern or "both",
        )


class FaultFile(FileModel):
    """One `[[fault]]`: what goes wrong, when, for how long and on which channels."""

    at_s: AtSeconds
    kind: Annotated[str, AfterValidator(one_of(FAULT_KINDS))]
    duration_s: Annotated[float, Field(ge=0.001, le=MAX_AT_S)] | None = None
    """Defaults per kind (DEFAULT_DURATION_S)."""
    channels: ChannelNumbers | None = None
    """electrode_off, clipping and motion: the channels hit (default: all)."""

    def to_fault(self) -> Fault:
        """The scripted fault."""
        duration_s = DEFAULT_DURATION_S[self.kind] if self.duration_s is None else self.duration_s
        return Fault(self.kind, self.at_s, duration_s, zero_based(self.channels))


class ScenarioFile(FileModel):
    """A scenario file; every table and field is optional."""

    description: Text = ""
    signal: SignalFile = Field(default_factory=SignalFile)
    participant: ParticipantFile = Field(default_factory=ParticipantFile)
    expression: Annotated[list[ExpressionFile], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=list
    )
    fault: Annotated[list[FaultFile], Field(max_length=MAX_ENTRIES)] = Field(default_factory=list)

    def to_scenario(self) -> Scenario:
        """The scenario the simulator plays."""
        return Scenario(
            expressions=tuple(entry.to_expression() for entry in self.expression),
            faults=tuple(entry.to_fault() for entry in self.fault),
            participant=self.participant.to_config(),
            motion_artifacts_per_min=self.signal.motion_artifacts_per_min,
            description=self.description,
        )
