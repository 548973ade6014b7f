"""A scenario rendered straight to ADC counts, without a pseudo-terminal (tests and benchmarks).

The counts are those the simulated board streams for the same scenario, seed, mode, rate and
channels in its first stream (faults aside: they act on the link, not on the signal), so a
detector can be scored against the scenario's known expressions in a fraction of a second.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from microexp_tui.simulator.board import EmgSource
from microexp_tui.simulator.participant import SimulatedParticipant
from microexp_tui.simulator.scenario import Scenario
from microexp_tui.simulator.signals import SignalConfig, SignalGenerator

DEFAULT_MOTION_ARTIFACTS_PER_MIN = 1.0
"""The board's rate when neither the caller nor the scenario sets one."""
CHUNK_S = 10
"""Rendered in pieces of this many seconds (only the activations of each piece are drawn)."""
TAIL_S = 2.0
"""Rest after the last scripted expression when no length is given."""


def scenario_end_s(scenario: Scenario) -> float:
    """When the last scripted expression has ended, plus TAIL_S of rest."""
    ends = [e.onset_s + e.duration_s for e in scenario.expressions]
    return max(ends, default=0.0) + TAIL_S


def render_scenario(
    scenario: Scenario,
    *,
    mode: str = "envelope",
    sample_rate_hz: int = 1000,
    channels: int = 8,
    seed: int = 0,
    seconds: float | None = None,
    motion_artifacts_per_min: float | None = None,
    mains_hz: float = 50.0,
) -> npt.NDArray[np.uint16]:
    """`(samples, channels)` counts of the scenario's first `seconds` (default: to its end)."""
    artifacts = motion_artifacts_per_min
    if artifacts is None:
        artifacts = scenario.motion_artifacts_per_min
    if artifacts is None:
        artifacts = DEFAULT_MOTION_ARTIFACTS_PER_MIN
    config = SignalConfig(
        mode=mode,
        sample_rate_hz=sample_rate_hz,
        channels=channels,
        seed=seed,
        stream=1,
        mains_hz=mains_hz,
        motion_artifacts_per_min=artifacts,
    )
    participant = SimulatedParticipant(scenario.participant, scenario.expressions, seed, 1)
    source = EmgSource(SignalGenerator(config), participant)
    length_s = scenario_end_s(scenario) if seconds is None else seconds
    total = round(length_s * sample_rate_hz)
    step = CHUNK_S * sample_rate_hz  # the generator gives the same counts for any chunking
    parts = [source.block(first, min(step, total - first)) for first in range(0, total, step)]
    return np.concatenate(parts) if parts else np.zeros((0, channels), dtype=np.uint16)
