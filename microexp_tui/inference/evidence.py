"""Evidence over time: what the screens show, accumulated from the stream of raw model outputs.

One window's answer is weak evidence: a spontaneous twitch, a window straddling an onset or
one muscle of a pair all get a confident wrong answer. The displayed probabilities are the
posterior of a small sticky state model (an HMM forward filter) over the run's classes:

- states are the classes; a state tends to stay (`stay_neutral`, `stay_emotion` per hop), an
  emotion ends mostly in neutral, neutral starts any emotion equally often;
- each window's calibrated probabilities (`calibration.TemperatureScaling`) are its evidence,
  floored at `floor` (no single window is certain) and raised to `weight` (overlapping
  windows share most of their samples, so each counts for less than one observation);
- the filter starts in neutral and restarts there after a gap longer than `max_gap_hops`.

So weak or brief evidence leaves neutral on screen, sustained evidence reaches the emotion,
and the state depends only on the raw outputs and their sample indices: `replay` recomputes
exactly, bit for bit, what a live run displayed from its stored raw probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.inference.calibration import TemperatureScaling

FloatArray = npt.NDArray[np.float64]

DISPLAY_METHOD = "sticky-hmm/1"
"""Name and version of the accumulation rule, stored with every run that uses it."""


@dataclass(frozen=True)
class EvidenceSettings:
    """Parameters of the state model (per hop of the run); defaults: the shipped models' fit."""

    stay_neutral: float = 0.97
    """Probability that neutral stays neutral over one hop."""
    stay_emotion: float = 0.7
    """Probability that an emotion stays over one hop."""
    switch: float = 0.2
    """Share of an emotion's ends that go straight to another emotion (the rest: neutral)."""
    weight: float = 0.3
    """Exponent of each window's evidence (overlapping windows are not independent)."""
    floor: float = 0.05
    """Smallest probability a window gives any class."""
    max_gap_hops: int = 20
    """A longer pause between windows (a gap in the stream) restarts the state in neutral."""

    def as_json(self) -> dict[str, Any]:
        """JSON form (model card, prediction run)."""
        return asdict(self)


@dataclass(frozen=True)
class DisplaySettings:
    """How raw outputs become displayed ones: calibration, then accumulation (None: no state)."""

    calibration: TemperatureScaling = field(default_factory=TemperatureScaling)
    evidence: EvidenceSettings | None = field(default_factory=EvidenceSettings)

    def as_json(self, hop_samples: int | None = None) -> dict[str, Any]:
        """JSON form, stored with each prediction run with the hop (in session samples) used."""
        hop = {} if hop_samples is None else {"hop_samples": int(hop_samples)}
        return {
            **hop,
            "method": DISPLAY_METHOD if self.evidence is not None else "calibrated",
            "temperature": self.calibration.temperature,
            "gated": self.calibration.gated,
            "evidence": None if self.evidence is None else self.evidence.as_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DisplaySettings:
        """Settings stored with a run by `as_json` (empty: the raw probabilities, unchanged)."""
        if not data:
            return cls(TemperatureScaling(), None)
        evidence = data.get("evidence")
        return cls(
            TemperatureScaling(float(data["temperature"]), bool(data["gated"])),
            None if evidence is None else EvidenceSettings(**evidence),
        )


def transition_matrix(classes: Sequence[str], settings: EvidenceSettings) -> FloatArray:
    """Row-stochastic `(classes, classes)` one-hop transitions (neutral, when present, is a hub)."""
    count = len(classes)
    matrix = np.zeros((count, count))
    if count == 1:
        return np.ones((1, 1))
    rest = classes.index(NEUTRAL) if NEUTRAL in classes else None
    emotions = [i for i in range(count) if i != rest]
    for i in emotions:
        others = [j for j in emotions if j != i]
        leave = 1.0 - settings.stay_emotion
        matrix[i, i] = settings.stay_emotion
        if rest is None:
            matrix[i, others] = leave / len(others)
            continue
        direct = settings.switch if others else 0.0
        matrix[i, rest] = leave * (1.0 - direct)
        if others:
            matrix[i, others] = leave * direct / len(others)
    if rest is not None:
        matrix[rest, rest] = settings.stay_neutral
        matrix[rest, emotions] = (1.0 - settings.stay_neutral) / len(emotions)
    return matrix


class EvidenceAccumulator:
    """The displayed probabilities of a run, one raw output at a time."""

    def __init__(self, classes: Sequence[str], display: DisplaySettings, hop_samples: int) -> None:
        """Start in neutral (uniform without a neutral class)."""
        self.classes = tuple(classes)
        self.display = display
        self.hop_samples = max(1, int(hop_samples))
        self._transitions = (
            transition_matrix(self.classes, display.evidence)
            if display.evidence is not None
            else np.eye(len(self.classes))
        )
        self._state = self._start()
        self._last_index: int | None = None

    def _start(self) -> FloatArray:
        """The state before any evidence: neutral certain, or uniform without neutral."""
        if NEUTRAL in self.classes:
            start = np.zeros(len(self.classes))
            start[self.classes.index(NEUTRAL)] = 1.0
            return start
        return np.full(len(self.classes), 1.0 / len(self.classes))

    def update(self, sample_index: int, raw: npt.ArrayLike) -> FloatArray:
        """Displayed probabilities after the raw output of the window ending at `sample_index`."""
        calibrated = self.display.calibration.apply(np.asarray(raw, dtype=np.float32))[0]
        settings = self.display.evidence
        if settings is None:
            return calibrated
        steps = 1
        if self._last_index is not None:
            steps = max(1, round((sample_index - self._last_index) / self.hop_samples))
        if self._last_index is not None and steps > settings.max_gap_hops:
            self._state, steps = self._start(), 1
        self._last_index = int(sample_index)
        prior = self._state
        for _ in range(steps):
            prior = prior @ self._transitions
        evidence = np.power(np.maximum(calibrated, settings.floor), settings.weight)
        posterior = prior * evidence
        self._state = posterior / posterior.sum()
        return self._state

    def update_many(
        self, sample_indices: Sequence[int], raw: npt.ArrayLike
    ) -> npt.NDArray[np.float32]:
        """`update` of each `(windows, classes)` raw row in turn, as stored (float32 rows).

        Equal, bit for bit, to calling `update` row by row (the calibration and the evidence
        are elementwise per row, computed here for all rows at once; the state recursion is
        the same): the offline path's batch form, `replay` stays the reference.
        """
        rows = np.asarray(raw, dtype=np.float32).reshape(len(sample_indices), len(self.classes))
        calibrated = self.display.calibration.apply(rows)
        settings = self.display.evidence
        if settings is None:
            return calibrated.astype(np.float32)
        evidence = np.power(np.maximum(calibrated, settings.floor), settings.weight)
        out = np.empty(rows.shape, dtype=np.float32)
        transitions, hop, last = self._transitions, self.hop_samples, self._last_index
        state = self._state
        for i, index in enumerate(sample_indices):
            steps = 1 if last is None else max(1, round((index - last) / hop))
            if last is not None and steps > settings.max_gap_hops:
                state, steps = self._start(), 1
            last = int(index)
            for _ in range(steps):
                state = state @ transitions
            posterior = state * evidence[i]
            state = posterior / posterior.sum()
            out[i] = state
        self._state, self._last_index = state, last
        return out


def displayed_as_stored(displayed: npt.ArrayLike) -> tuple[float, ...]:
    """Displayed probabilities rounded as the store keeps them (float32), so replays compare."""
    return tuple(float(p) for p in np.asarray(displayed, dtype=np.float32))


def replay(
    classes: Sequence[str],
    display: DisplaySettings,
    hop_samples: int,
    sample_indices: Sequence[int],
    raw: Sequence[npt.ArrayLike],
) -> list[tuple[float, ...]]:
    """The displayed probabilities of a run recomputed from its raw outputs, as stored."""
    accumulator = EvidenceAccumulator(classes, display, hop_samples)
    return [
        displayed_as_stored(accumulator.update(index, row))
        for index, row in zip(sample_indices, raw, strict=True)
    ]
