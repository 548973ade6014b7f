"""Detected expressions scored against known ones (simulator scenarios): F1, onset error, kind.

A detection and a known expression match when their intervals overlap; pairs are taken
one-to-one in order of the smallest onset difference, and only while that difference is at
most `max_onset_error_ms`. Onset errors are signed (detected - known), in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from microexp_tui.domain.expressions import Expression, kind_of


@dataclass(frozen=True)
class KnownExpression:
    """A ground-truth expression: half-amplitude onset and width, emotion (None if unknown)."""

    onset_s: float
    duration_s: float
    emotion: str | None = None

    @property
    def kind(self) -> str:
        """Micro or macro by the same rule as detections."""
        return kind_of(1000.0 * self.duration_s)


@dataclass(frozen=True)
class DetectionScore:
    """How detections agree with the known expressions."""

    known: int
    detected: int
    matched: int
    precision: float
    recall: float
    f1: float
    onset_errors_ms: tuple[float, ...]
    duration_errors_ms: tuple[float, ...]
    kind_correct: int
    emotion_correct: int

    @property
    def median_abs_onset_error_ms(self) -> float | None:
        """Median of |onset error| over matched pairs."""
        return median(abs(e) for e in self.onset_errors_ms) if self.onset_errors_ms else None

    @property
    def kind_accuracy(self) -> float | None:
        """Share of matched pairs whose micro/macro kind agrees."""
        return self.kind_correct / self.matched if self.matched else None

    @property
    def emotion_accuracy(self) -> float | None:
        """Share of matched pairs whose emotion hypothesis is the known emotion."""
        return self.emotion_correct / self.matched if self.matched else None

    def as_json(self) -> dict[str, object]:
        """Summary figures as plain JSON."""
        errors = sorted(abs(e) for e in self.onset_errors_ms)
        p90 = errors[int(0.9 * (len(errors) - 1))] if errors else None
        return {
            "known": self.known,
            "detected": self.detected,
            "matched": self.matched,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "median_abs_onset_error_ms": self.median_abs_onset_error_ms,
            "median_onset_error_ms": median(self.onset_errors_ms) if errors else None,
            "p90_abs_onset_error_ms": p90,
            "median_abs_duration_error_ms": (
                median(abs(e) for e in self.duration_errors_ms) if errors else None
            ),
            "kind_accuracy": self.kind_accuracy,
            "emotion_accuracy": self.emotion_accuracy,
        }


def score_detections(
    detected: Sequence[Expression],
    known: Sequence[KnownExpression],
    max_onset_error_ms: float = 150.0,
) -> DetectionScore:
    """Match detections to known expressions one-to-one and summarise the agreement."""
    pairs = []
    for i, found in enumerate(detected):
        for j, truth in enumerate(known):
            start, stop = truth.onset_s, truth.onset_s + truth.duration_s
            if found.onset_s < stop and found.offset_s > start:
                error_ms = 1000.0 * (found.onset_s - start)
                if abs(error_ms) <= max_onset_error_ms:
                    pairs.append((abs(error_ms), i, j, error_ms))
    used_found: set[int] = set()
    used_known: set[int] = set()
    onset_errors, duration_errors = [], []
    kind_correct = emotion_correct = 0
    for _, i, j, error_ms in sorted(pairs):
        if i in used_found or j in used_known:
            continue
        used_found.add(i)
        used_known.add(j)
        found, truth = detected[i], known[j]
        onset_errors.append(error_ms)
        duration_errors.append(found.duration_ms - 1000.0 * truth.duration_s)
        kind_correct += found.kind == truth.kind
        emotion_correct += truth.emotion is not None and found.emotion == truth.emotion
    matched = len(onset_errors)
    precision = matched / len(detected) if detected else 0.0
    recall = matched / len(known) if known else 0.0
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    return DetectionScore(
        len(known),
        len(detected),
        matched,
        precision,
        recall,
        f1,
        tuple(onset_errors),
        tuple(duration_errors),
        kind_correct,
        emotion_correct,
    )
