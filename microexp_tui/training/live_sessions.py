"""Simulated live sessions with known ground truth: fitting and judging the displayed output.

A session is the simulated board's participant (reacting to the protocol's stimulus markers,
with spontaneous bursts, kept still after rest onsets) rendered to ADC counts sample by sample
as the board streams them, markers applied at their sample index as the recorder sends them,
then classified through the same filter bank and `LiveClassifier` a recording uses
(`inference.offline.classify_recording`). Each simulator seed is a different participant.

The target of a window is the emotion of the reaction the participant is making at the
window's centre (the stimulus' emotion), neutral outside reactions (spontaneous bursts
included). A flash is a non-neutral class other than the target shown at >= 0.5 for at least
`FLASH_MS`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.inference.calibration import (
    TemperatureScaling,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
)
from microexp_tui.inference.evidence import DisplaySettings, EvidenceSettings, replay
from microexp_tui.inference.live import hop_samples_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.offline import classify_recording
from microexp_tui.simulator.board import EmgSource
from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
from microexp_tui.simulator.signals import SignalConfig, SignalGenerator
from microexp_tui.study.protocols import load_protocol, marker_schedule, protocol_duration_s

RATE_HZ = 1000
FLASH_MS = 200.0
FLASH_LEVEL = 0.5
REACTION_SOURCES = ("reaction", "micro")
FIT_SEEDS = (101, 102, 103, 104)
"""Simulated participants the display is fitted on (never the evaluation seeds)."""
EVAL_SEEDS = (1, 2, 3, 4, 5)
"""Simulated participants the benchmark evaluates on."""


@dataclass(frozen=True)
class SimulatedRun:
    """A classified simulated session: window ends, raw outputs and per-window targets."""

    seed: int
    classes: tuple[str, ...]
    sample_indices: list[int]
    raw: npt.NDArray[np.float32]
    targets: npt.NDArray[np.int64]
    """The stimulus' emotion during reactions, neutral elsewhere (spontaneous bursts too)."""
    expressed: npt.NDArray[np.int64]
    """The emotion the participant is actually making, spontaneous bursts included."""
    reactions: list[tuple[int, int, int]]
    """`(first, stop)` prediction positions and class of each reaction (target runs)."""
    hop_samples: int
    minutes: float

    def displayed(self, display: DisplaySettings) -> npt.NDArray[np.float64]:
        """The displayed probabilities of this run under `display`."""
        rows = replay(self.classes, display, self.hop_samples, self.sample_indices, list(self.raw))
        return np.asarray(rows, dtype=np.float64)


def render_session(
    seed: int, seconds: float, markers: list[tuple[float, int]], spontaneous: bool = True
) -> tuple[npt.NDArray[np.uint16], SimulatedParticipant]:
    """Counts of a simulated participant, markers `(time_s, code)` applied on the sample clock."""
    config = SignalConfig(mode="envelope", sample_rate_hz=RATE_HZ, channels=8, seed=seed, stream=1)
    participant = SimulatedParticipant(ParticipantConfig(spontaneous=spontaneous), (), seed, 1)
    source = EmgSource(SignalGenerator(config), participant)
    total = round(seconds * RATE_HZ)
    parts, position = [], 0
    for time_s, code in [*sorted(markers), (seconds, -1)]:
        stop = min(total, round(time_s * RATE_HZ))
        while position < stop:
            step = min(stop - position, 10 * RATE_HZ)
            parts.append(source.block(position, step))
            position += step
        if code >= 0:
            participant.on_marker(code, position / RATE_HZ)
    return np.concatenate(parts), participant


def reaction_targets(
    participant: SimulatedParticipant,
    classes: tuple[str, ...],
    ends: list[int],
    window: int,
    sources: tuple[str, ...] = REACTION_SOURCES,
) -> npt.NDArray[np.int64]:
    """Each window's target class: the expression (of `sources`) at its centre, else neutral."""
    centres_s = (np.asarray(ends) - window / 2) / RATE_HZ
    targets = np.full(len(ends), classes.index(NEUTRAL), dtype=np.int64)
    for expression in participant.expressions:
        if expression.source not in sources or expression.emotion is None:
            continue
        inside = (centres_s >= expression.onset_s) & (
            centres_s < expression.onset_s + expression.duration_s
        )
        targets[inside] = classes.index(expression.emotion)
    return targets


def simulate(model: EmotionModel, seed: int, stimuli: bool, minutes: float = 5.0) -> SimulatedRun:
    """One simulated session (the six-emotion protocol, or `minutes` without stimuli)."""
    if stimuli:
        protocol = replace(load_protocol("six_emotions"), seed=seed)
        markers = [(m.onset_s, m.code) for m in marker_schedule(protocol)]
        seconds = protocol_duration_s(protocol)
    else:
        markers, seconds = [], minutes * 60.0
    counts, participant = render_session(seed, seconds, markers)
    channels = model.card.channels
    run = classify_recording(
        [(0, counts)],
        model=model,
        sample_rate_hz=float(RATE_HZ),
        muscles=[c.muscle for c in channels],
        sensor_kinds=[c.sensor_kind for c in channels],
    )
    classes = model.card.output_classes
    ends = [p.sample_index for p in run.predictions]
    targets = reaction_targets(participant, classes, ends, run.window_samples)
    everything = (*REACTION_SOURCES, "spontaneous")
    expressed = reaction_targets(participant, classes, ends, run.window_samples, everything)
    raw = np.asarray([p.raw_probabilities for p in run.predictions], dtype=np.float32)
    hop = hop_samples_for(run.hop_ms, float(RATE_HZ))
    reactions = _target_runs(targets, classes.index(NEUTRAL))
    return SimulatedRun(
        seed, classes, ends, raw, targets, expressed, reactions, hop, seconds / 60.0
    )


def _target_runs(targets: npt.NDArray[np.int64], neutral: int) -> list[tuple[int, int, int]]:
    """`(first, stop, class)` of each run of one non-neutral target."""
    runs, start = [], 0
    for position in range(1, len(targets) + 1):
        if position == len(targets) or targets[position] != targets[start]:
            if targets[start] != neutral:
                runs.append((start, position, int(targets[start])))
            start = position
    return runs


REACTION_GRACE_HOPS = 10
"""A reaction counts as shown when its emotion reaches FLASH_LEVEL by 1 s after it ends."""


def reactions_shown(run: SimulatedRun, shown: npt.NDArray[np.float64]) -> int:
    """Reactions whose emotion is displayed at >= FLASH_LEVEL during them (or just after)."""
    hits = 0
    for first, stop, k in run.reactions:
        hits += bool((shown[first : stop + REACTION_GRACE_HOPS, k] >= FLASH_LEVEL).any())
    return hits


def flashes(
    run: SimulatedRun, shown: npt.NDArray[np.float64], against_expressed: bool = False
) -> int:
    """Runs of one non-neutral, non-target class at >= FLASH_LEVEL lasting >= FLASH_MS.

    With `against_expressed`, the target is what the participant is actually making
    (a spontaneous burst's own emotion is then no flash).
    """
    neutral = run.classes.index(NEUTRAL)
    truth = run.expressed if against_expressed else run.targets
    hop_ms = 1000.0 * run.hop_samples / RATE_HZ
    count = 0
    for k in range(len(run.classes)):
        if k == neutral:
            continue
        wrong = (shown[:, k] >= FLASH_LEVEL) & (truth != k)
        if against_expressed:  # the display may trail an expression by the grace period
            recent = np.convolve((truth == k).astype(float), np.ones(REACTION_GRACE_HOPS))
            wrong &= recent[: len(truth)] == 0
        edges = np.diff(np.concatenate([[0], wrong.astype(np.int8), [0]]))
        lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
        count += int((lengths * hop_ms >= FLASH_MS).sum())
    return count


@dataclass(frozen=True)
class Scores:
    """ECE and NLL of displayed outputs on protocol sessions, flashes per minute without stimuli."""

    ece: float
    nll: float
    flashes_per_min: float
    """Against the stimulus target (neutral throughout: every shown emotion counts)."""
    confusions_per_min: float
    """Against what the participant actually makes (a burst's own emotion is no flash)."""
    reactions_shown: float
    """Share of the protocol's reactions whose emotion is displayed at >= 0.5."""


def score(
    display: DisplaySettings, protocol_runs: list[SimulatedRun], quiet_runs: list[SimulatedRun]
) -> Scores:
    """How `display` does on the given sessions (all windows pooled)."""
    shown = [run.displayed(display) for run in protocol_runs]
    pooled = np.concatenate(shown)
    targets = np.concatenate([run.targets for run in protocol_runs])
    quiet = [(run, run.displayed(display)) for run in quiet_runs]
    count = sum(flashes(run, rows) for run, rows in quiet)
    confusions = sum(flashes(run, rows, against_expressed=True) for run, rows in quiet)
    minutes = sum(run.minutes for run in quiet_runs) or 1.0
    hits = sum(reactions_shown(run, rows) for run, rows in zip(protocol_runs, shown, strict=True))
    reactions = sum(len(run.reactions) for run in protocol_runs) or 1
    return Scores(
        expected_calibration_error(pooled, targets),
        negative_log_likelihood(pooled, targets),
        count / minutes,
        confusions / minutes,
        hits / reactions,
    )


MIN_REACTIONS_SHOWN = 0.8
"""Share of the fit sessions' reactions a fitted display must still show at >= 0.5."""

RAW_DISPLAY = DisplaySettings(TemperatureScaling(1.0), None)
"""The raw softmax as shown before: no calibration, no accumulation."""

GRID = [
    EvidenceSettings(stay_neutral, stay_emotion, 0.2, weight, floor)
    for stay_neutral in (0.9, 0.95, 0.97, 0.99)
    for stay_emotion in (0.6, 0.7, 0.8, 0.9)
    for weight in (0.08, 0.15, 0.3)
    for floor in (0.003, 0.01, 0.05, 0.15)
]
"""State-model settings the fit chooses from."""


def fit_display(
    protocol_runs: list[SimulatedRun], quiet_runs: list[SimulatedRun]
) -> tuple[DisplaySettings, dict[str, float]]:
    """Temperature by NLL on the raw windows, then the state model with the best displayed NLL.

    Only settings that still display at least MIN_REACTIONS_SHOWN of the reactions count (a
    display that never leaves neutral has no flashes and a fine NLL, and is useless); among
    them one with under 0.2 flashes per minute on the quiet sessions is preferred.
    """
    raw = np.concatenate([run.raw for run in protocol_runs])
    targets = np.concatenate([run.targets for run in protocol_runs])
    calibration = fit_temperature(raw, targets, gated=True)
    candidates = [DisplaySettings(calibration, settings) for settings in GRID]
    scored = [(score(candidate, protocol_runs, quiet_runs), candidate) for candidate in candidates]
    useful = [pair for pair in scored if pair[0].reactions_shown >= MIN_REACTIONS_SHOWN] or scored
    meeting = [pair for pair in useful if pair[0].flashes_per_min < 0.2] or useful
    best_scores, best = min(meeting, key=lambda pair: pair[0].nll)
    before = score(RAW_DISPLAY, protocol_runs, quiet_runs)
    calibrated = score(DisplaySettings(calibration, None), protocol_runs, quiet_runs)
    figures = {
        "windows": float(len(targets)),
        "ece_raw": before.ece,
        "ece_calibrated": calibrated.ece,
        "ece_displayed": best_scores.ece,
        "nll_raw": before.nll,
        "nll_calibrated": calibrated.nll,
        "nll_displayed": best_scores.nll,
        "flashes_per_min_raw": before.flashes_per_min,
        "flashes_per_min_displayed": best_scores.flashes_per_min,
        "reactions_shown_raw": before.reactions_shown,
        "reactions_shown_displayed": best_scores.reactions_shown,
    }
    return best, figures
