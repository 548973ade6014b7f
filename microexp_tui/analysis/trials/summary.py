"""What a trial table says per participant, condition and muscle, and the mean response curves.

`summarise` reads the whole-window rows (bin 0): trial and exclusion counts, and the mean
change, its SD, mean z, mean percent change and mean %MVC over the kept trials.
`condition_curves` reads the time-bin rows: per muscle and condition, the mean change per bin
over the kept trials with a 95% t-interval (empty bounds with fewer than two trials).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from microexp_tui.analysis.trials.standardise import mean_sd
from microexp_tui.analysis.trials.table import WHOLE_WINDOW_BIN, TrialRow

CONFIDENCE = 0.95
"""Coverage of the response curves' bands."""


@dataclass(frozen=True)
class SummaryRow:
    """One participant's trials on one muscle in one condition (whole response window)."""

    site: str
    participant: str
    condition: str
    muscle: str
    trials: int
    excluded: int
    mean_change: float | None
    sd_change: float | None
    mean_z: float | None
    mean_pct_change: float | None
    mean_pct_mvc: float | None


@dataclass(frozen=True)
class ConditionCurve:
    """Mean change per time bin of one muscle in one condition, with a 95% t-interval."""

    muscle: str
    condition: str
    bin_start_s: tuple[float, ...]
    bin_end_s: tuple[float, ...]
    mean: tuple[float | None, ...]
    ci_low: tuple[float | None, ...]
    ci_high: tuple[float | None, ...]
    trials: int
    excluded: int


def _mean(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None when none is)."""
    present = [v for v in values if v is not None]
    return math.fsum(present) / len(present) if present else None


def summarise(rows: Sequence[TrialRow]) -> list[SummaryRow]:
    """Per site, participant, condition and muscle: counts and means of the kept trials."""
    groups: dict[tuple[str, str, str, str], list[TrialRow]] = defaultdict(list)
    for row in rows:
        if row.bin == WHOLE_WINDOW_BIN:
            groups[(row.site, row.participant, row.condition, row.muscle)].append(row)
    out = []
    for (site, participant, condition, muscle), members in groups.items():
        kept = [row for row in members if not row.excluded]
        changes = [row.change for row in kept if row.change is not None]
        moments = mean_sd(changes)
        out.append(
            SummaryRow(
                site=site,
                participant=participant,
                condition=condition,
                muscle=muscle,
                trials=len(members),
                excluded=len(members) - len(kept),
                mean_change=_mean(changes),
                sd_change=None if moments is None else moments[1],
                mean_z=_mean([row.z for row in kept]),
                mean_pct_change=_mean([row.pct_change for row in kept]),
                mean_pct_mvc=_mean([row.pct_mvc for row in kept]),
            )
        )
    return out


def t_interval(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """Mean and the 95% t-interval of the values (bounds None with fewer than two)."""
    if not values:
        return None, None, None
    moments = mean_sd(values)
    if moments is None:
        return values[0], None, None
    mean, sd = moments
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1)) * sd / math.sqrt(len(values))
    return mean, mean - half, mean + half


def condition_curves(rows: Sequence[TrialRow]) -> list[ConditionCurve]:
    """Per muscle and condition, the mean change per time bin over kept trials with its band."""
    groups: dict[tuple[str, str], list[TrialRow]] = defaultdict(list)
    for row in rows:
        groups[(row.muscle, row.condition)].append(row)
    out = []
    for (muscle, condition), members in groups.items():
        whole = [row for row in members if row.bin == WHOLE_WINDOW_BIN]
        by_bin: dict[int, list[TrialRow]] = defaultdict(list)
        for row in members:
            if row.bin != WHOLE_WINDOW_BIN:
                by_bin[row.bin].append(row)
        numbers = sorted(by_bin)
        bands = [
            t_interval([r.change for r in by_bin[n] if not r.excluded and r.change is not None])
            for n in numbers
        ]
        out.append(
            ConditionCurve(
                muscle=muscle,
                condition=condition,
                bin_start_s=tuple(by_bin[n][0].bin_start_s for n in numbers),
                bin_end_s=tuple(by_bin[n][0].bin_end_s for n in numbers),
                mean=tuple(band[0] for band in bands),
                ci_low=tuple(band[1] for band in bands),
                ci_high=tuple(band[2] for band in bands),
                trials=len(whole),
                excluded=sum(row.excluded for row in whole),
            )
        )
    return out
