"""Video-coded action units matching a scenario, as an OpenFace 2.x CSV, for validation tests.

Each scripted expression becomes one AU event per action unit of its muscles (through a
montage), with onset jitter; some are dropped (missed by the video coder) and extra AU
events are planted away from any true one, including AUs no montage muscle produces. The
plan keeps what was planted so tests can compute the metrics a validation must report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microexp_tui.domain.muscles import Muscle
from microexp_tui.simulator.participant import ScriptedExpression

OPENFACE_AUS: tuple[int, ...] = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
"""The AUs OpenFace 2.x writes as `AUxx_r` and `AUxx_c` columns (no AU24: it cannot code it)."""
OPENFACE_AU_NAMES = frozenset(f"AU{number}" for number in OPENFACE_AUS)
UNOBSERVABLE_EXTRA_AUS: tuple[str, ...] = ("AU25", "AU26", "AU45")
"""AUs no facial-EMG montage here covers (lips part, jaw drop, blink): planted as noise."""
EXTRA_CLEARANCE_S = 1.0
"""An extra AU event starts at least this far from any true event of the same AU."""


@dataclass(frozen=True)
class PlantedAuEvent:
    """One AU event written into the file; `expression` indexes the scenario (None: extra)."""

    action_unit: str
    onset_s: float
    offset_s: float
    expression: int | None


@dataclass(frozen=True)
class AuPlan:
    """What the generated file contains and what the coder missed, on the video's clock."""

    events: tuple[PlantedAuEvent, ...]
    missed: tuple[tuple[str, int], ...]
    """(AU, scenario expression index) pairs the coder did not mark."""
    video_start_s: float
    """Session time of the video's first frame: session_s = video_s + video_start_s."""
    duration_s: float

    def true_events(self, action_unit: str) -> list[PlantedAuEvent]:
        """Planted events of one AU that belong to a scripted expression."""
        return [e for e in self.events if e.action_unit == action_unit and e.expression is not None]

    def extra_events(self, action_unit: str) -> list[PlantedAuEvent]:
        """Planted events of one AU that belong to no expression."""
        return [e for e in self.events if e.action_unit == action_unit and e.expression is None]


def expression_action_units(
    expression: ScriptedExpression, montage: Sequence[Muscle]
) -> tuple[str, ...]:
    """AUs of the muscles an expression moves (single-muscle patterns move one of the pair)."""
    channels = expression.muscle_channels()
    if expression.emotion is not None and expression.pattern == "first":
        channels = channels[:1]
    elif expression.emotion is not None and expression.pattern == "second":
        channels = channels[1:]
    units = {
        au for channel in channels if channel < len(montage) for au in montage[channel].action_units
    }
    return tuple(sorted(units, key=lambda name: int(name[2:])))


def plan_au_events(
    expressions: Sequence[ScriptedExpression],
    montage: Sequence[Muscle],
    *,
    duration_s: float,
    video_start_s: float = 0.0,
    jitter_ms: float = 15.0,
    miss_probability: float = 0.1,
    extras_per_min: float = 2.0,
    seed: int = 0,
) -> AuPlan:
    """Plan the AU events of a scenario's expressions as a video coder would have marked them."""
    rng = np.random.default_rng(seed)
    events: list[PlantedAuEvent] = []
    missed: list[tuple[str, int]] = []
    for index, expression in enumerate(expressions):
        video_onset_s = expression.onset_s - video_start_s
        if video_onset_s < 0 or video_onset_s + expression.duration_s > duration_s:
            continue  # before the camera started or after it stopped: not in the file
        for au in expression_action_units(expression, montage):
            if au not in OPENFACE_AU_NAMES:
                continue  # the video coder has no column for it (AU24 in OpenFace)
            if rng.random() < miss_probability:
                missed.append((au, index))
                continue
            onset = max(0.0, video_onset_s + rng.normal(0.0, jitter_ms / 1000.0))
            events.append(PlantedAuEvent(au, onset, onset + expression.duration_s, index))
    observable = sorted(
        {au for muscle in montage for au in muscle.action_units} & OPENFACE_AU_NAMES
    )
    candidates = observable + list(UNOBSERVABLE_EXTRA_AUS)
    for _ in range(round(extras_per_min * duration_s / 60.0)):
        events.extend(_extra(rng, candidates, events, duration_s))
    return AuPlan(
        tuple(sorted(events, key=lambda e: e.onset_s)), tuple(missed), video_start_s, duration_s
    )


def _extra(
    rng: np.random.Generator, candidates: list[str], events: list[PlantedAuEvent], duration_s: float
) -> list[PlantedAuEvent]:
    """One extra AU event clear of every planted event of its AU (none if no room is found)."""
    for _ in range(50):
        au = str(rng.choice(candidates))
        onset = float(rng.uniform(0.5, max(0.6, duration_s - 2.0)))
        length = float(rng.uniform(0.1, 1.0))
        clear = all(
            e.action_unit != au
            or onset + length + EXTRA_CLEARANCE_S < e.onset_s
            or onset > e.offset_s + EXTRA_CLEARANCE_S
            for e in events
        )
        if clear:
            return [PlantedAuEvent(au, onset, onset + length, None)]
    return []


def write_openface_csv(plan: AuPlan, path: Path, fps: float = 30.0, seed: int = 0) -> int:
    """Write the plan as an OpenFace 2.x FeatureExtraction CSV; returns the number of frames."""
    rng = np.random.default_rng(seed)
    frames = math.floor(plan.duration_s * fps)
    times = np.arange(frames) / fps
    intensity = {au: rng.uniform(0.0, 0.4, frames) for au in OPENFACE_AUS}
    presence = {au: np.zeros(frames, dtype=np.int8) for au in OPENFACE_AUS}
    for event in plan.events:
        number = int(event.action_unit[2:])
        if number not in presence:
            continue
        first, stop = _frame_span(times, event.onset_s, event.offset_s, fps)
        presence[number][first:stop] = 1
        ramp = np.sin(np.linspace(0.2, math.pi - 0.2, stop - first))
        intensity[number][first:stop] = 1.2 + 2.3 * ramp
    header = ["frame", "face_id", "timestamp", "confidence", "success"]
    header += [f"AU{au:02d}_r" for au in OPENFACE_AUS] + [f"AU{au:02d}_c" for au in OPENFACE_AUS]
    with path.open("w", encoding="utf-8") as out:
        out.write(", ".join(header) + "\n")
        for k in range(frames):
            cells = [str(k + 1), "0", f"{times[k]:.3f}", "0.98", "1"]
            cells += [f"{intensity[au][k]:.2f}" for au in OPENFACE_AUS]
            cells += [str(int(presence[au][k])) for au in OPENFACE_AUS]
            out.write(", ".join(cells) + "\n")
    return frames


def _frame_span(times: np.ndarray, onset_s: float, offset_s: float, fps: float) -> tuple[int, int]:
    """Frames inside [onset, offset); at least the nearest frame for an event between frames."""
    first = int(np.searchsorted(times, onset_s, side="left"))
    stop = int(np.searchsorted(times, offset_s, side="left"))
    if stop <= first:
        first = min(max(0, round(onset_s * fps)), times.size - 1)
        stop = first + 1
    return first, stop
