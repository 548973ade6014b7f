"""The per-stimulus rule: which expressions answer a stimulus, what emotion they show, and ✓.

Written once here and applied the same way by the Review screen (through `readmodels`), the
PDF report and the exports. `RESPONSE_RULE` says it in words; the Review help and the
report's method notes print that same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import Activation, Expression
from microexp_tui.domain.markers import stimulus_condition, stimulus_offset_index
from microexp_tui.domain.recording import MarkerRecord
from microexp_tui.expressions.emotions import hypothesis

RESPONSE_LEAD_S = 0.3
"""Default: a reaction starting up to this long before a stimulus onset still answers it."""
RESPONSE_AFTER_S = 1.0
"""Default: a reaction starting up to this long after a stimulus offset still answers it."""

RESPONSE_RULE = (
    "Per-stimulus rule: a stimulus's response window runs from a lead before its onset "
    f"(setting response_lead_s, {RESPONSE_LEAD_S:g} s by default) to a time after its offset "
    f"(setting response_after_s, {RESPONSE_AFTER_S:g} s by default). An expression answers "
    "the stimulus when one of its muscle activations starts inside the window, so a reaction "
    "starting just before the onset counts. Only the muscles that start inside the window "
    "make the response: a burst already under way before the window is left out even when "
    "the detector merged it with the reaction, and the response's emotion is then read "
    "again from the remaining muscles' action units (the session's montage). A stimulus is "
    "marked answered (Review's check mark, the report's match) only when a response shows "
    "its own emotion; an unclear response (?) or another emotion never marks it."
)
"""The rule in words, shown in the Review help and the report's method notes."""


@dataclass(frozen=True)
class ResponseRule:
    """The configurable extent of a response window around a stimulus, in seconds."""

    lead_s: float = RESPONSE_LEAD_S
    after_s: float = RESPONSE_AFTER_S

    def window(self, onset_index: int, offset_index: int | None, rate_hz: float) -> range:
        """Samples whose activations answer a stimulus: lead before onset to after its end."""
        end = offset_index if offset_index is not None else onset_index
        start = max(0, onset_index - round(self.lead_s * rate_hz))
        return range(start, end + round(self.after_s * rate_hz))


DEFAULT_RULE = ResponseRule()


@dataclass(frozen=True)
class Response:
    """One expression answering a stimulus: the muscles that started inside the window."""

    expression: Expression
    activations: tuple[Activation, ...]
    emotion: str | None
    """The emotion of those muscles (the expression's own when none was left out)."""


@dataclass(frozen=True)
class StimulusResponse:
    """A presented stimulus, its response window and the expressions that answered it."""

    condition: str
    """Target emotion, or another lab's condition for an imported event."""
    onset_index: int
    offset_index: int | None
    window: range
    responses: tuple[Response, ...]

    @property
    def matches(self) -> bool:
        """Answered (✓): whether a response shows the target emotion (never "?" or another)."""
        return any(r.emotion is not None and r.emotion == self.condition for r in self.responses)

    @property
    def emotion(self) -> str | None:
        """The emotion shown: the target when a response matches, else the first clear one."""
        if self.matches:
            return self.condition
        return next((r.emotion for r in self.responses if r.emotion is not None), None)


def response_of(
    expression: Expression, window: range, channels: Sequence[ChannelSpec]
) -> Response | None:
    """The part of `expression` answering a window, or None when no activation starts in it."""
    inside = tuple(a for a in expression.activations if a.onset_index in window)
    if not inside:
        return None
    if len(inside) == len(expression.activations):
        return Response(expression, inside, expression.emotion)
    units = {spec.index: spec.action_units for spec in channels}
    muscles = [units.get(c, ()) for c in sorted({a.channel_index for a in inside})]
    return Response(expression, inside, hypothesis(muscles).emotion)


def response_to(
    markers: Sequence[MarkerRecord],
    position: int,
    expressions: Sequence[Expression],
    channels: Sequence[ChannelSpec],
    rate_hz: float,
    rule: ResponseRule = DEFAULT_RULE,
) -> StimulusResponse | None:
    """The stimulus opened by markers[position] with the expressions answering it; None when
    that event presents no stimulus."""
    condition = stimulus_condition(markers[position])
    if condition is None:
        return None
    onset, offset = int(markers[position].sample_index), stimulus_offset_index(markers, position)
    window = rule.window(onset, offset, rate_hz)
    found = (response_of(x, window, channels) for x in expressions)
    return StimulusResponse(condition, onset, offset, window, tuple(r for r in found if r))


def stimulus_responses(
    markers: Sequence[MarkerRecord],
    expressions: Sequence[Expression],
    channels: Sequence[ChannelSpec],
    rate_hz: float,
    rule: ResponseRule = DEFAULT_RULE,
    from_index: int = 0,
) -> list[StimulusResponse]:
    """Every stimulus presented from `from_index` on, with the expressions answering it."""
    found = (
        response_to(markers, position, expressions, channels, rate_hz, rule)
        for position, marker in enumerate(markers)
        if marker.sample_index >= from_index
    )
    return [item for item in found if item is not None]
