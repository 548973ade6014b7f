"""Timed steps on the sample clock: rest and guided contractions (checks, calibration).

The runner only does bookkeeping: which step is on, for how much longer, and the sample
window each finished step covered. The screen turns those windows into metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.markers import (
    GUIDED_RELAX_GAP_S,
    MARKER_REST_ONSET,
    guided_contraction_code,
)
from microexp_tui.dsp.electrode_metrics import GuidedStep

RELAX_GAP_S = GUIDED_RELAX_GAP_S
"""Pause between two contractions so the previous one ends before the next window opens."""
SETTLE_S = 1.0
"""Time to settle after the rest cue before the measured rest window opens (a person asked to
relax, like the simulated one, needs a moment to stop moving)."""
REST_PROMPT = "Relax your face completely and keep still"


@dataclass(frozen=True)
class Step:
    """One timed step: `rest`, `contract` (one channel) or `relax` (not evaluated)."""

    kind: str
    duration_s: float
    prompt: str
    channel_index: int | None = None
    cue_code: int | None = None
    """Marker sent when the step starts: rest onset, or a guided contraction's channel (the
    simulated participant keeps still from the first and contracts that muscle on the other)."""


@dataclass(frozen=True)
class StepWindow:
    """A finished step and the samples [start_index, stop_index) it covered."""

    step: Step
    start_index: int
    stop_index: int


def check_steps(guided: Sequence[GuidedStep], rest_s: float, contraction_s: float) -> list[Step]:
    """Settle (the rest cue), rest, then one contraction per muscle with a short relax between."""
    steps = [
        Step("relax", SETTLE_S, REST_PROMPT, cue_code=MARKER_REST_ONSET),
        Step("rest", rest_s, REST_PROMPT),
    ]
    for number, item in enumerate(guided):
        if number:
            steps.append(Step("relax", RELAX_GAP_S, "Relax"))
        cue = guided_contraction_code(item.channel_index)
        steps.append(Step("contract", contraction_s, item.prompt, item.channel_index, cue))
    return steps


class StepRunner:
    """Advances through steps as the sample clock passes their durations."""

    def __init__(self, steps: Sequence[Step], rate_hz: float) -> None:
        """Prepare; nothing runs until `begin`."""
        self.steps = list(steps)
        self.rate_hz = rate_hz
        self.position = -1
        self.step_start_index = 0
        self.windows: list[StepWindow] = []

    @property
    def current(self) -> Step | None:
        """The step on now, or None before `begin` and after the last."""
        return self.steps[self.position] if 0 <= self.position < len(self.steps) else None

    @property
    def started(self) -> bool:
        """Whether `begin` was called."""
        return self.position >= 0

    @property
    def done(self) -> bool:
        """Whether every step has finished."""
        return self.position >= len(self.steps)

    def begin(self, now_index: int) -> Step | None:
        """Start the first step at `now_index`; returns it."""
        self.position, self.step_start_index, self.windows = 0, now_index, []
        return self.current

    def remaining_s(self, now_index: int) -> float:
        """Seconds left in the current step."""
        step = self.current
        if step is None:
            return 0.0
        return max(0.0, step.duration_s - (now_index - self.step_start_index) / self.rate_hz)

    def progress(self, now_index: int) -> float:
        """Fraction of all steps' time done, 0..1."""
        if not self.started:
            return 0.0
        if self.done:
            return 1.0
        total = sum(step.duration_s for step in self.steps)
        done = sum(step.duration_s for step in self.steps[: self.position])
        step = self.current
        assert step is not None
        done += step.duration_s - self.remaining_s(now_index)
        return done / total if total else 1.0

    def tick(self, now_index: int) -> tuple[list[StepWindow], Step | None]:
        """Finish due steps; returns their windows and the step that started now (if any)."""
        finished: list[StepWindow] = []
        started: Step | None = None
        while (step := self.current) is not None:
            stop_index = self.step_start_index + round(step.duration_s * self.rate_hz)
            if now_index < stop_index:
                break
            finished.append(StepWindow(step, self.step_start_index, stop_index))
            self.position += 1
            self.step_start_index = stop_index
            started = self.current
        self.windows.extend(finished)
        return finished, started
