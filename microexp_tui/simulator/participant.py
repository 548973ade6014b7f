"""The simulated participant: scripted expressions, reactions to stimulus markers, spontaneity.

Expressions follow the seed data's emotion -> muscle pairs (domain.EMOTION_CHANNELS).
All times are seconds of sample time since START (sample index / rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    channel_of_guided_marker,
    emotion_of_marker,
)
from microexp_tui.domain.muscles import EMOTION_CHANNELS
from microexp_tui.simulator.signals import MAX_ACTIVE_COUNTS, ChannelActivation

PATTERNS = ("both", "first", "second", "mixed")
"""Which muscles of an emotion's pair contract: `mixed` re-draws first/second/both
(1/4, 1/4, 1/2 as in the seed data's rows) every 150-400 ms."""
MICRO_MAX_S = 0.5
MIXED_SEGMENT_S = (0.15, 0.4)
DEFAULT_LEVEL_COUNTS = (250.0, 480.0)
GUIDED_LATENCY_S = (0.3, 0.6)
GUIDED_HOLD_S = (1.8, 2.5)
"""A guided contraction: the asked muscle alone, a little after the cue, held about 2 s."""
STILL_MAX_S = 120.0
"""Asked to rest or to make a guided contraction, the participant keeps still (no spontaneous
expression, no head movement) until the next stimulus marker, or this long at most (the
longest step of an electrode check or a calibration)."""
_TAG_REACTIONS = 11
_TAG_SPONTANEOUS = 12


@dataclass(frozen=True)
class ScriptedExpression:
    """A facial expression: which muscles contract, when, how long and how strongly."""

    onset_s: float
    duration_s: float
    level_counts: float
    emotion: str | None = None
    channels: tuple[int, ...] = ()
    pattern: str = "both"
    source: str = "scenario"

    @property
    def is_micro(self) -> bool:
        """Whether this is a micro-expression (under 500 ms)."""
        return self.duration_s < MICRO_MAX_S

    def muscle_channels(self) -> tuple[int, ...]:
        """0-based channels of the muscles involved (explicit channels or the emotion's pair)."""
        if self.emotion is not None:
            return EMOTION_CHANNELS[self.emotion]
        return self.channels

    def activations(self, rng: np.random.Generator | None = None) -> list[ChannelActivation]:
        """Per-channel activations; `mixed` and the single-muscle patterns need a pair."""
        channels = self.muscle_channels()
        if self.emotion is None or self.pattern == "both":
            return [self._on(channel, self.onset_s, self.duration_s) for channel in channels]
        if self.pattern == "first":
            return [self._on(channels[0], self.onset_s, self.duration_s)]
        if self.pattern == "second":
            return [self._on(channels[1], self.onset_s, self.duration_s)]
        return self._mixed(channels, rng or np.random.default_rng(0))

    def _on(self, channel: int, onset_s: float, duration_s: float) -> ChannelActivation:
        """One channel's activation at this expression's level."""
        return ChannelActivation(channel, onset_s, duration_s, self.level_counts)

    def _mixed(
        self, channels: tuple[int, ...], rng: np.random.Generator
    ) -> list[ChannelActivation]:
        """Segments with first, second or both muscles active, merged per channel."""
        end_s = self.onset_s + self.duration_s
        longest_s = MIXED_SEGMENT_S[1]
        boundaries = [self.onset_s]
        while end_s - boundaries[-1] > 2 * longest_s:
            boundaries.append(boundaries[-1] + rng.uniform(*MIXED_SEGMENT_S))
        if end_s - boundaries[-1] > longest_s:
            boundaries.append((boundaries[-1] + end_s) / 2)
        boundaries.append(end_s)
        choices = rng.choice(3, size=len(boundaries) - 1, p=[0.25, 0.25, 0.5])
        result = []
        for position, channel in enumerate(channels):
            active = [choice == 2 or choice == position for choice in choices]
            result.extend(self._runs(channel, boundaries, active))
        return result

    def _runs(
        self, channel: int, boundaries: list[float], active: list[bool]
    ) -> list[ChannelActivation]:
        """Merge consecutive active segments of one channel into activations."""
        runs = []
        start: float | None = None
        for index, is_active in enumerate(active):
            if is_active and start is None:
                start = boundaries[index]
            if not is_active and start is not None:
                runs.append(self._on(channel, start, boundaries[index] - start))
                start = None
        if start is not None:
            runs.append(self._on(channel, start, boundaries[-1] - start))
        return runs


@dataclass(frozen=True)
class ParticipantConfig:
    """How the participant behaves beyond the scripted expressions."""

    react_to_markers: bool = True
    latency_ms: tuple[float, float] = (300.0, 800.0)
    reaction_duration_ms: tuple[float, float] = (1000.0, 3000.0)
    micro_probability: float = 0.3
    spontaneous: bool = False
    spontaneous_interval_s: tuple[float, float] = (4.0, 12.0)


class SimulatedParticipant:
    """Turns scripted expressions, markers and spontaneity into channel activations."""

    def __init__(
        self,
        config: ParticipantConfig,
        script: Sequence[ScriptedExpression],
        seed: int,
        stream: int,
    ) -> None:
        """Prepare seeded generators for reactions and spontaneous expressions."""
        self.config = config
        self.expressions: list[ScriptedExpression] = sorted(script, key=lambda e: e.onset_s)
        self._seed, self._stream = seed, stream
        self._reaction_rng = np.random.default_rng([seed, _TAG_REACTIONS, stream])
        self._spontaneous_rng = np.random.default_rng([seed, _TAG_SPONTANEOUS, stream])
        self._spontaneous_until_s = 0.0
        self._activations: list[ChannelActivation] = []
        self._spontaneous: list[ChannelActivation] = []
        self.still_windows: list[tuple[float, float]] = []
        """[from_s, until_s) phases of keeping still, oldest first (the last may be open)."""
        for expression in self.expressions:
            self._add(expression)

    def on_marker(self, code: int, time_s: float) -> list[ScriptedExpression]:
        """React to a marker applied at `time_s`; returns the expressions it scheduled.

        A rest onset or a guided contraction (electrode check, calibration) starts a still
        phase; a stimulus onset or offset ends it and may draw a reaction.
        """
        if code == MARKER_REST_ONSET:
            self._keep_still(time_s)
            return []
        channel = channel_of_guided_marker(code)
        if channel is not None:
            self._keep_still(time_s)
            return [self._contract(channel, time_s)] if self.config.react_to_markers else []
        if code == MARKER_STIMULUS_OFFSET or emotion_of_marker(code) is not None:
            self._stir(time_s)
        emotion = emotion_of_marker(code)
        if emotion is None or not self.config.react_to_markers:
            return []
        rng = self._reaction_rng
        onset_s = time_s + rng.uniform(*self.config.latency_ms) / 1000
        scheduled = []
        if rng.uniform() < self.config.micro_probability:
            micro_s = rng.uniform(0.04, 0.3)
            level = rng.uniform(*DEFAULT_LEVEL_COUNTS)
            pattern = str(rng.choice(["both", "first", "second"], p=[0.5, 0.25, 0.25]))
            scheduled.append(
                ScriptedExpression(onset_s, micro_s, level, emotion, (), pattern, "micro")
            )
            onset_s += micro_s + rng.uniform(0.15, 0.4)
        duration_s = rng.uniform(*self.config.reaction_duration_ms) / 1000
        level = rng.uniform(*DEFAULT_LEVEL_COUNTS)
        scheduled.append(
            ScriptedExpression(onset_s, duration_s, level, emotion, (), "mixed", "reaction")
        )
        for expression in scheduled:
            self._add(expression)
        return scheduled

    def activations_until(self, until_s: float) -> list[ChannelActivation]:
        """All activations known so far, extending spontaneous behaviour up to `until_s`."""
        if self.config.spontaneous:
            self._extend_spontaneous(until_s)
        return self._activations + self._spontaneous

    def forget_before(self, time_s: float) -> None:
        """Drop activations that ended before `time_s` (keeps long streams cheap)."""
        self._activations = [a for a in self._activations if a.end_s >= time_s]
        self._spontaneous = [a for a in self._spontaneous if a.end_s >= time_s]
        self.still_windows = [w for w in self.still_windows if w[1] >= time_s]

    def _contract(self, channel: int, cue_s: float) -> ScriptedExpression:
        """The asked muscle alone, strongly, as in an electrode check or an MVC."""
        rng = self._reaction_rng
        onset_s = cue_s + rng.uniform(*GUIDED_LATENCY_S)
        level = rng.uniform(DEFAULT_LEVEL_COUNTS[1], MAX_ACTIVE_COUNTS)
        hold_s = rng.uniform(*GUIDED_HOLD_S)
        guided = ScriptedExpression(onset_s, hold_s, level, None, (channel,), source="guided")
        self._add(guided)
        return guided

    def _keep_still(self, from_s: float) -> None:
        """Stop moving at `from_s`: spontaneous expressions under way end there, later ones are
        cancelled and none is drawn until the still phase ends (`_stir`, or STILL_MAX_S)."""
        until_s = from_s + STILL_MAX_S
        if self.still_windows and self.still_windows[-1][1] > from_s:
            from_s = min(from_s, self.still_windows.pop()[0])
        self.still_windows.append((from_s, until_s))
        self._spontaneous = [
            replace(a, duration_s=from_s - a.onset_s) if a.onset_s + a.duration_s > from_s else a
            for a in self._spontaneous
            if a.onset_s < from_s
        ]
        self.expressions = [
            stopped_at(e, from_s) if e.source == "spontaneous" else e
            for e in self.expressions
            if not (e.source == "spontaneous" and e.onset_s >= from_s)
        ]
        self._spontaneous_until_s = max(self._spontaneous_until_s, until_s)

    def _stir(self, time_s: float) -> None:
        """End a still phase at `time_s` (a stimulus marker): spontaneity resumes from there."""
        if not self.still_windows:
            return
        from_s, until_s = self.still_windows[-1]
        if from_s <= time_s < until_s:
            self.still_windows[-1] = (from_s, time_s)
            self._spontaneous_until_s = time_s

    def _add(self, expression: ScriptedExpression) -> list[ChannelActivation]:
        """Record an expression and its activations; returns the activations."""
        if expression.source != "scenario":
            self.expressions.append(expression)
        rng = np.random.default_rng([self._seed, self._stream, round(expression.onset_s * 1e6)])
        activations = expression.activations(rng)
        if expression.source == "spontaneous":
            self._spontaneous.extend(activations)
        else:
            self._activations.extend(activations)
        return activations

    def _extend_spontaneous(self, until_s: float) -> None:
        """Draw spontaneous expressions (a fifth of them micro) until past `until_s`."""
        rng = self._spontaneous_rng
        while self._spontaneous_until_s <= until_s:
            onset_s = self._spontaneous_until_s + rng.uniform(*self.config.spontaneous_interval_s)
            emotion = EMOTIONS[int(rng.integers(len(EMOTIONS)))]
            level = rng.uniform(*DEFAULT_LEVEL_COUNTS)
            if rng.uniform() < 0.2:
                duration_s = rng.uniform(0.04, MICRO_MAX_S)
                pattern = str(rng.choice(["both", "first", "second"], p=[0.5, 0.25, 0.25]))
            else:
                duration_s, pattern = rng.uniform(0.8, 3.0), "mixed"
            spontaneous = ScriptedExpression(
                onset_s, duration_s, level, emotion, (), pattern, "spontaneous"
            )
            self._add(spontaneous)
            self._spontaneous_until_s = onset_s + duration_s


def stopped_at(expression: ScriptedExpression, time_s: float) -> ScriptedExpression:
    """The expression, cut short at `time_s` if it lasts beyond it."""
    if expression.onset_s + expression.duration_s <= time_s:
        return expression
    return replace(expression, duration_s=max(0.0, time_s - expression.onset_s))


def amplitude_to_counts(amplitude: float) -> float:
    """Envelope apex in counts for an amplitude given as a fraction of the maximum."""
    return amplitude * MAX_ACTIVE_COUNTS
