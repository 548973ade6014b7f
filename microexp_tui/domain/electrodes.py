"""Electrode-check results: per-channel rest quality and guided-contraction response."""

from __future__ import annotations

from dataclasses import dataclass

GRADES: tuple[str, ...] = ("green", "amber", "red")


@dataclass(frozen=True)
class ElectrodeCheck:
    """One channel's electrode-check result (rest metrics, guided contraction, grade)."""

    channel_index: int
    grade: str
    rest_level_counts: float | None
    noise_counts: float | None
    mains_fraction: float | None
    clipping_fraction: float | None
    flat_line: bool
    contraction_rise: float | None
    contraction_lit: bool | None
    reasons: str = ""
    rest_start_index: int | None = None
    rest_stop_index: int | None = None
