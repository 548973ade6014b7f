"""Muscle activations grouped into facial expressions, mapped to action units, kind and emotion.

Grouping rule: two activations belong to the same expression when their half-amplitude
intervals overlap or are separated by at most `gap_ms` (50 ms: muscles of one expression do
not start within a sample of each other); groups are the connected components of that
relation, so the result does not depend on the order activations arrive in.

Motion rule: at least `motion_min_channels` brief activations (each under `motion_max_ms`)
on different channels starting within `motion_onset_spread_ms` of each other are a movement
or a cable tug, not muscles of one expression (facial muscles recruited together still start
tens of ms apart); those activations are dropped. Set `motion_min_channels` to 0 to keep them.

An expression spans its first onset to its last offset; its apex is the apex of its strongest
activation (highest % MVC when every channel is calibrated, else highest envelope); its
action units are those of its channels through the session montage (given per channel, so
any montage works); it is micro when it lasts at most `records.MICRO_MAX_MS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from microexp_tui.domain.expressions import Activation, Expression, kind_of
from microexp_tui.errors import InputError
from microexp_tui.expressions.emotions import hypothesis, sorted_units

GROUPING_VERSION = "grouping-1"

Classify = Callable[[Sequence[Activation]], Mapping[str, float] | None]
"""Classifier hook: emotion probabilities for an expression's activations, or None."""


@dataclass(frozen=True)
class GroupingSettings:
    """How activations join into expressions and which synchronous bursts are motion."""

    gap_ms: float = 50.0
    motion_min_channels: int = 3
    motion_onset_spread_ms: float = 10.0
    motion_max_ms: float = 200.0

    def __post_init__(self) -> None:
        """Refuse negative or non-finite values."""
        values = asdict(self).values()
        if not all(math.isfinite(float(v)) and v >= 0 for v in values):
            raise InputError(f"Grouping settings must be finite and >= 0, got {self}.")

    def as_json(self) -> dict[str, Any]:
        """Plain JSON form (stored with every detection run)."""
        return {"version": GROUPING_VERSION, **asdict(self)}


@dataclass
class _Group:
    """Activations joined so far and the span [lo, hi) they cover."""

    activations: list[Activation]
    lo: int
    hi: int


class ExpressionGrouper:
    """Joins activations into expressions as they close; releases groups no later one can join."""

    def __init__(
        self,
        rate_hz: float,
        channel_units: Sequence[Sequence[str]],
        settings: GroupingSettings | None = None,
        classify: Classify | None = None,
    ) -> None:
        """`channel_units[c]` are the action units of channel c's muscle (empty: unassigned)."""
        self.rate_hz = float(rate_hz)
        self.channel_units = [tuple(units) for units in channel_units]
        self.settings = settings or GroupingSettings()
        self.classify = classify
        self._gap = round(self.settings.gap_ms * self.rate_hz / 1000)
        self._groups: list[_Group] = []

    def add(self, activations: Iterable[Activation]) -> None:
        """Join each activation with every pending group it touches."""
        for activation in activations:
            lo, hi = activation.onset_index, activation.offset_index
            touching = [
                g for g in self._groups if lo <= g.hi + self._gap and hi + self._gap >= g.lo
            ]
            merged = _Group([activation], lo, hi)
            for group in touching:
                merged.activations += group.activations
                merged.lo, merged.hi = min(merged.lo, group.lo), max(merged.hi, group.hi)
                self._groups.remove(group)
            self._groups.append(merged)

    def ready(self, watermark: int) -> list[Expression]:
        """Expressions no activation with onset at or after `watermark` could still join."""
        done = [g for g in self._groups if g.hi + self._gap < watermark]
        self._groups = [g for g in self._groups if g.hi + self._gap >= watermark]
        return self._finish(done)

    def pending_onsets(self) -> list[int]:
        """Onsets of the groups not released yet."""
        return [group.lo for group in self._groups]

    def flush(self) -> list[Expression]:
        """Every pending group as an expression (end of the stream)."""
        done, self._groups = self._groups, []
        return self._finish(done)

    def _finish(self, groups: list[_Group]) -> list[Expression]:
        """Expressions of finished groups in onset order (groups of motion only vanish)."""
        out = []
        for group in sorted(groups, key=lambda g: g.lo):
            kept = self._without_motion(group.activations)
            if kept:
                out.append(self.expression(kept))
        return out

    def _without_motion(self, activations: list[Activation]) -> list[Activation]:
        """Drop clusters of brief activations that start together on many channels."""
        s = self.settings
        ordered = sorted(activations, key=lambda a: (a.onset_index, a.channel_index))
        if s.motion_min_channels <= 0 or len(ordered) < s.motion_min_channels:
            return ordered
        spread = s.motion_onset_spread_ms * self.rate_hz / 1000
        brief = [a for a in ordered if a.duration_ms(self.rate_hz) <= s.motion_max_ms]
        dropped: set[Activation] = set()
        for first in brief:
            together = [a for a in brief if 0 <= a.onset_index - first.onset_index <= spread]
            if len({a.channel_index for a in together}) >= s.motion_min_channels:
                dropped.update(together)
        return [a for a in ordered if a not in dropped]

    def expression(self, activations: Sequence[Activation]) -> Expression:
        """One expression from its activations (AUs, kind and emotion hypothesis)."""
        ordered = tuple(sorted(activations, key=lambda a: (a.onset_index, a.channel_index)))
        onset = min(a.onset_index for a in ordered)
        offset = max(a.offset_index for a in ordered)
        calibrated = all(a.peak_pct_mvc is not None for a in ordered)
        strongest = max(
            ordered,
            key=lambda a: (a.peak_pct_mvc or 0.0) if calibrated else a.peak_counts,
        )
        channels = sorted({a.channel_index for a in ordered})
        muscles = [self._units(channel) for channel in channels]
        units = sorted_units({unit for units in muscles for unit in units})
        probabilities = self.classify(ordered) if self.classify is not None else None
        guess = hypothesis(muscles, probabilities)
        return Expression(
            rate_hz=self.rate_hz,
            onset_index=onset,
            offset_index=offset,
            apex_index=strongest.apex_index,
            activations=ordered,
            action_units=units,
            kind=kind_of(1000.0 * (offset - onset) / self.rate_hz),
            emotion=guess.emotion,
            confidence=round(guess.confidence, 4),
            emotion_source=guess.source,
        )

    def _units(self, channel: int) -> tuple[str, ...]:
        """Action units of a channel's muscle (none for a channel beyond the montage)."""
        return self.channel_units[channel] if channel < len(self.channel_units) else ()


def group_activations(
    activations: Iterable[Activation],
    rate_hz: float,
    channel_units: Sequence[Sequence[str]],
    settings: GroupingSettings | None = None,
    classify: Classify | None = None,
) -> list[Expression]:
    """Every expression of a finished list of activations (offline use and tests)."""
    grouper = ExpressionGrouper(rate_hz, channel_units, settings, classify)
    grouper.add(activations)
    return grouper.flush()
