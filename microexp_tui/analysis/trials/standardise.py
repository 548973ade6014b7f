"""Trial rows standardised within participant and muscle, outliers excluded, valence rows added.

Within each (site, participant, muscle), separately for the whole-window rows (bin 0) and the
time-bin rows: first a trial whose whole-window change lies more than `exclude_sd` SDs from
the mean of the participant's kept trials on that muscle is excluded (on every bin of that
muscle, reason "beyond K SD"); then z = (change - mean) / SD over the trials still kept (SD
with n - 1), so the kept rows' z have mean 0 and SD 1 per participant, muscle and bin kind.
Excluded rows get no z. Where a trial has both a corrugator and a zygomaticus row, a
valence-index row (corrugator minus zygomaticus) follows the trial's rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from functools import cache

from microexp_tui.analysis.trials.rows import changed
from microexp_tui.analysis.trials.table import VALENCE_MUSCLE, WHOLE_WINDOW_BIN, TrialRow
from microexp_tui.domain.muscles import CORRUGATOR_SUPERCILII, ZYGOMATICUS_MAJOR

REASON_SEPARATOR = "; "

GroupKey = tuple[str, str, str, bool]
"""(site, participant, muscle, whole window?): the rows one mean and SD are taken over."""
TrialKey = tuple[str, str, str, int]
"""(site, participant, session, trial): one trial."""


BEYOND = "beyond "
"""How the SD exclusion's reason starts."""


def beyond_reason(exclude_sd: float) -> str:
    """The exclusion reason of an outlier at this limit ("beyond 3.5 SD")."""
    return f"{BEYOND}{exclude_sd:g} SD"


def standardise(rows: Sequence[TrialRow], exclude_sd: float) -> list[TrialRow]:
    """z within participant and muscle, the SD exclusions, then the valence-index rows.

    Rows standardised before may come again (pooling tables): their valence rows and earlier
    SD exclusions are dropped and made anew, so standardising twice changes nothing.
    """
    rows = [_fresh(row) for row in rows if row.muscle != VALENCE_MUSCLE]
    outliers = _outliers([row for row in rows if row.bin == WHOLE_WINDOW_BIN], exclude_sd)
    reason = beyond_reason(exclude_sd)
    marked = (
        [_excluded(row, reason) if (*_trial(row), row.muscle) in outliers else row for row in rows]
        if outliers
        else list(rows)
    )
    scored = _with_z(marked)
    return _with_valence(scored)


def _fresh(row: TrialRow) -> TrialRow:
    """The row without an earlier standardisation's SD exclusion."""
    if BEYOND not in row.exclude_reason:
        return row
    kept = [p for p in row.exclude_reason.split(REASON_SEPARATOR) if not p.startswith(BEYOND)]
    reason = REASON_SEPARATOR.join(kept)
    return changed(row, excluded=bool(reason), exclude_reason=reason, z=None)


def _group(row: TrialRow) -> GroupKey:
    """The standardisation group of a row."""
    return row.site, row.participant, row.muscle, row.bin == WHOLE_WINDOW_BIN


def _trial(row: TrialRow) -> TrialKey:
    """The trial a row belongs to."""
    return row.site, row.participant, row.session, row.trial


def _kept_changes(rows: Sequence[TrialRow]) -> dict[GroupKey, list[float]]:
    """The changes of kept rows, per standardisation group."""
    changes: dict[GroupKey, list[float]] = defaultdict(list)
    for row in rows:
        if not row.excluded and row.change is not None and row.muscle != VALENCE_MUSCLE:
            changes[_group(row)].append(row.change)
    return changes


def mean_sd(values: Sequence[float]) -> tuple[float, float] | None:
    """Mean and sample SD (n - 1) of at least two values, else None."""
    if len(values) < 2:
        return None
    mean = math.fsum(values) / len(values)
    variance = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(variance)


def _outliers(whole: Sequence[TrialRow], exclude_sd: float) -> set[tuple[str, str, str, int, str]]:
    """(trial, muscle) of whole-window changes beyond `exclude_sd` SDs of their group (`whole`:
    the whole-window rows)."""
    stats = {key: mean_sd(values) for key, values in _kept_changes(whole).items()}
    found = set()
    for row in whole:
        if row.excluded or row.change is None:
            continue
        moments = stats.get(_group(row))
        if moments and moments[1] > 0 and abs(row.change - moments[0]) > exclude_sd * moments[1]:
            found.add((*_trial(row), row.muscle))
    return found


def _excluded(row: TrialRow, reason: str) -> TrialRow:
    """The row excluded for `reason` too."""
    return changed(row, excluded=True, exclude_reason=_join(row.exclude_reason, reason))


def _join(*reasons: str) -> str:
    """Reasons joined once each, in order."""
    parts: list[str] = []
    for text in reasons:
        for part in text.split(REASON_SEPARATOR):
            if part and part not in parts:
                parts.append(part)
    return REASON_SEPARATOR.join(parts)


def _with_z(rows: Sequence[TrialRow]) -> list[TrialRow]:
    """Rows with z over their group's kept rows (None for excluded rows or a flat group)."""
    kept: dict[GroupKey, list[float]] = defaultdict(list)
    keys = []
    for row in rows:
        key = (row.site, row.participant, row.muscle, row.bin == WHOLE_WINDOW_BIN)
        keys.append(key)
        if not row.excluded and row.change is not None:
            kept[key].append(row.change)
    stats = {key: mean_sd(values) for key, values in kept.items()}
    out = []
    for row, key in zip(rows, keys, strict=True):
        moments = stats.get(key)
        z = None
        if not row.excluded and row.change is not None and moments and moments[1] > 0:
            z = (row.change - moments[0]) / moments[1]
        out.append(row if z is None and row.z is None else changed(row, z=z))
    return out


@cache
def _valence_role(muscle: str) -> str | None:
    """ "corrugator" or "zygomaticus" for a muscle named like one (domain spelling or first
    word, any case), else None."""
    name = muscle.strip().lower()
    for muscle_type in (CORRUGATOR_SUPERCILII, ZYGOMATICUS_MAJOR):
        full = muscle_type.name.lower()
        if name in (full, full.split()[0]):
            return full.split()[0]
    return None


def _with_valence(rows: Sequence[TrialRow]) -> list[TrialRow]:
    """The rows with a valence-index row per trial and bin after each trial's rows."""
    by_trial: dict[TrialKey, list[TrialRow]] = defaultdict(list)
    last: dict[TrialKey, int] = {}
    keys = []
    for index, row in enumerate(rows):
        key = (row.site, row.participant, row.session, row.trial)
        keys.append(key)
        last[key] = index
        if _valence_role(row.muscle) is not None:
            by_trial[key].append(row)
    out: list[TrialRow] = []
    for index, (row, key) in enumerate(zip(rows, keys, strict=True)):
        out.append(row)
        if last[key] == index and key in by_trial:
            out += _valence_rows(by_trial[key])
    return out


def _valence_rows(trial_rows: Sequence[TrialRow]) -> list[TrialRow]:
    """Corrugator minus zygomaticus per bin of one trial (first channel of each), if both."""
    found: dict[tuple[str, int], TrialRow] = {}
    for row in trial_rows:
        role = _valence_role(row.muscle)
        if role is not None:
            found.setdefault((role, row.bin), row)
    out = []
    for (role, bin_number), corrugator in found.items():
        zygomaticus = found.get(("zygomaticus", bin_number))
        if role == "corrugator" and zygomaticus is not None:
            out.append(_difference(corrugator, zygomaticus))
    return out


def _minus(a: float | None, b: float | None) -> float | None:
    """a - b, None when either is None."""
    return None if a is None or b is None else a - b


def _difference(corrugator: TrialRow, zygomaticus: TrialRow) -> TrialRow:
    """The valence-index row of one trial and bin."""
    unit = corrugator.unit if corrugator.unit == zygomaticus.unit else ""
    return changed(
        corrugator,
        muscle=VALENCE_MUSCLE,
        channel=f"{corrugator.channel}-{zygomaticus.channel}",
        unit=unit,
        baseline=_minus(corrugator.baseline, zygomaticus.baseline),
        mean=_minus(corrugator.mean, zygomaticus.mean),
        change=_minus(corrugator.change, zygomaticus.change),
        pct_change=None,
        z=_minus(corrugator.z, zygomaticus.z),
        pct_mvc=None,
        peak=_minus(corrugator.peak, zygomaticus.peak),
        peak_latency_s=None,
        onset_latency_s=None,
        excluded=corrugator.excluded or zygomaticus.excluded,
        exclude_reason=_join(corrugator.exclude_reason, zygomaticus.exclude_reason),
    )
