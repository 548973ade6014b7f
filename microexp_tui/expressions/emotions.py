"""Emotion hypothesis of an expression: its action units against EMFACS-style prototypes.

Each prototype lists required AU groups (any AU of a group satisfies it) and further AUs the
emotion also explains. It follows EMFACS (happy 6+12, surprise 1+2+26, sadness 1+4+15,
fear 1+2+4+5+20+26, anger 4+5+7+23, disgust 9/10+15/16), reconciled with the muscles the
seed data actually uses for each emotion (`domain.EMOTION_CHANNELS`): surprise and fear are
shown there by orbicularis oris (AU23/AU24, lips pressed) rather than a jaw drop, so those
count for the mouth group of both.

A surface-EMG channel measures a muscle, not one AU, so an expression is a list of active
muscles, each with its AUs. For an emotion:

- coverage = share of its required groups met by the union of the active AUs;
- explained = share of active muscles with at least one AU the emotion lists;
- score = coverage x explained (1 for the seed pair of that emotion, 0.5 for one of its two
  muscles alone, 0.25 or less for the other emotions' pairs).

Without a classifier the hypothesis is the best-scoring emotion, with confidence
score x score / (sum of scores): how completely it is present times how much it stands out.
No emotion (None, confidence 0) when no prototype scores or two tie at the top. With a
classifier's probabilities p (the six emotions, renormalised) the combined score is
(score + p) / 2 for each emotion and the same formula gives the confidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from microexp_tui.domain.emotions import EMOTIONS


@dataclass(frozen=True)
class Prototype:
    """An emotion's action units: groups it needs (one AU of each) and others it explains."""

    required: tuple[frozenset[str], ...]
    also: frozenset[str] = frozenset()

    @property
    def units(self) -> frozenset[str]:
        """Every AU this emotion explains."""
        return self.also.union(*self.required)


def _groups(*groups: str) -> tuple[frozenset[str], ...]:
    """Required groups from strings like "AU1 AU2" (alternatives separated by spaces)."""
    return tuple(frozenset(group.split()) for group in groups)


MOUTH_OPEN_OR_PRESSED = "AU20 AU23 AU24 AU25 AU26 AU27"
PROTOTYPES: dict[str, Prototype] = {
    "happy": Prototype(_groups("AU12", "AU6")),
    "surprise": Prototype(_groups("AU1 AU2", MOUTH_OPEN_OR_PRESSED), frozenset({"AU5"})),
    "sadness": Prototype(_groups("AU1", "AU4"), frozenset({"AU15", "AU17"})),
    "fear": Prototype(
        _groups("AU4", MOUTH_OPEN_OR_PRESSED), frozenset({"AU1", "AU2", "AU5", "AU7"})
    ),
    "anger": Prototype(_groups("AU4", "AU7"), frozenset({"AU5", "AU23", "AU24"})),
    "disgust": Prototype(_groups("AU9 AU10", "AU15 AU16 AU17"), frozenset({"AU25"})),
}
"""Emotion -> prototype, in the order of `domain.EMOTIONS`."""

SOURCES = ("action_units", "classifier", "both")


@dataclass(frozen=True)
class Hypothesis:
    """The emotion an expression most likely shows, how sure, and from what evidence."""

    emotion: str | None
    confidence: float
    source: str
    scores: dict[str, float]


def au_number(unit: str) -> int:
    """Numeric part of an AU name for sorting ("AU12" -> 12; unknown names last)."""
    match = re.search(r"\d+", unit)
    return int(match.group()) if match else 10_000


def sorted_units(units: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Action units in numeric order (AU1, AU2, AU4, AU12, ...)."""
    return tuple(sorted(units, key=lambda unit: (au_number(unit), unit)))


def au_scores(muscles: Sequence[Sequence[str]]) -> dict[str, float]:
    """Score of every emotion for the active muscles, each given as its action units."""
    active = [frozenset(units) for units in muscles if units]
    if not active:
        return dict.fromkeys(EMOTIONS, 0.0)
    present = frozenset().union(*active)
    scores = {}
    for emotion in EMOTIONS:
        prototype = PROTOTYPES[emotion]
        coverage = sum(bool(group & present) for group in prototype.required)
        explained = sum(bool(units & prototype.units) for units in active)
        scores[emotion] = (coverage / len(prototype.required)) * (explained / len(active))
    return scores


def _pick(scores: Mapping[str, float]) -> tuple[str | None, float]:
    """Best emotion and confidence (score x score / sum); None on no evidence or a tie."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    total = sum(value for _, value in ranked)
    best, best_score = ranked[0]
    if best_score <= 0 or (len(ranked) > 1 and ranked[1][1] >= best_score - 1e-12):
        return None, 0.0
    return best, min(1.0, max(0.0, best_score * best_score / total))


def hypothesis(
    muscles: Sequence[Sequence[str]], classifier: Mapping[str, float] | None = None
) -> Hypothesis:
    """The emotion hypothesis from the active muscles' AUs and optional classifier probabilities."""
    scores = au_scores(muscles)
    has_units = any(len(units) > 0 for units in muscles)
    if classifier:
        emotions = {e: max(0.0, float(classifier.get(e, 0.0))) for e in EMOTIONS}
        total = sum(emotions.values())
        if total > 0:
            probabilities = {e: p / total for e, p in emotions.items()}
            if has_units:
                combined = {e: (scores[e] + probabilities[e]) / 2 for e in EMOTIONS}
                emotion, confidence = _pick(combined)
                return Hypothesis(emotion, confidence, "both", combined)
            emotion, confidence = _pick(probabilities)
            return Hypothesis(emotion, confidence, "classifier", probabilities)
    emotion, confidence = _pick(scores)
    return Hypothesis(emotion, confidence, "action_units", scores)
