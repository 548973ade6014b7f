"""standardise: outliers beyond k SD within participant and muscle, z, and valence rows."""

from __future__ import annotations

import statistics

import pytest

from microexp_tui.analysis.trials.standardise import standardise
from microexp_tui.analysis.trials.summary import condition_curves, summarise
from microexp_tui.analysis.trials.table import VALENCE_MUSCLE, TrialRow
from microexp_tui.domain.muscles import CORRUGATOR_SUPERCILII, ZYGOMATICUS_MAJOR


def row(
    participant: str,
    trial: int,
    muscle: str,
    change: float,
    *,
    bin_number: int = 0,
    reason: str = "",
    condition: str = "x",
) -> TrialRow:
    """A row whose baseline is 10 and mean 10 + change."""
    return TrialRow(
        site="s",
        participant=participant,
        session="1",
        trial=trial,
        condition=condition,
        onset_s=float(trial),
        muscle=muscle,
        channel=muscle[:3],
        unit="uV",
        bin=bin_number,
        bin_start_s=0.0 if bin_number == 0 else (bin_number - 1) * 0.1,
        bin_end_s=4.0 if bin_number == 0 else bin_number * 0.1,
        baseline=10.0,
        mean=10.0 + change,
        change=change,
        pct_change=10.0 * change,
        z=None,
        pct_mvc=None,
        peak=change,
        peak_latency_s=0.5,
        onset_latency_s=None,
        excluded=bool(reason),
        exclude_reason=reason,
    )


SPREAD = [(-1.0) ** k * (1 + k % 3) for k in range(19)]


def test_a_trial_beyond_k_sd_is_excluded_on_every_bin_of_that_muscle_only() -> None:
    rows = [row("a", k + 1, "m", v) for k, v in enumerate(SPREAD)]
    rows += [row("a", 20, "m", 100.0), row("a", 20, "m", 100.0, bin_number=1)]
    rows += [row("a", 20, "other", 100.0), row("a", 1, "other", 0.0)]
    out = standardise(rows, 3.5)
    flagged = {(r.trial, r.muscle, r.bin) for r in out if r.excluded}
    assert flagged == {(20, "m", 0), (20, "m", 1)}
    assert {r.exclude_reason for r in out if r.excluded} == {"beyond 3.5 SD"}
    kept = [r.z for r in out if r.muscle == "m" and r.bin == 0 and not r.excluded]
    assert statistics.fmean(z for z in kept if z is not None) == pytest.approx(0.0, abs=1e-12)
    assert statistics.stdev(z for z in kept if z is not None) == pytest.approx(1.0)
    assert all(r.z is None for r in out if r.excluded)
    assert not [r for r in standardise(rows, 5.0) if r.excluded]


def test_groups_are_per_participant_and_earlier_exclusions_do_not_count() -> None:
    rows = [row("a", k + 1, "m", v) for k, v in enumerate(SPREAD)]
    rows += [row("a", 30, "m", 1e6, reason="motion")]  # already out: must not widen the SD
    rows += [row("b", k + 1, "m", 100.0 + 10 * v) for k, v in enumerate(SPREAD)]
    rows += [row("a", 20, "m", 30.0)]
    out = standardise(rows, 3.5)
    (far,) = [r for r in out if r.participant == "a" and r.trial == 20]
    assert far.excluded and far.exclude_reason == "beyond 3.5 SD"
    (moved,) = [r for r in out if r.trial == 30]
    assert moved.exclude_reason == "motion" and moved.z is None
    b = [r.z for r in out if r.participant == "b" and r.z is not None]
    assert len(b) == 19 and statistics.fmean(b) == pytest.approx(0.0, abs=1e-12)


def test_valence_rows_are_corrugator_minus_zygomaticus_excluded_if_either_is() -> None:
    corrugator, zygomaticus = CORRUGATOR_SUPERCILII.name, ZYGOMATICUS_MAJOR.name
    rows = []
    for k, v in enumerate(SPREAD):
        reason = "clipping" if k == 3 else ""
        rows += [row("a", k + 1, corrugator, v), row("a", k + 1, zygomaticus, 2 * v, reason=reason)]
    out = standardise(rows, 3.5)
    valence = [r for r in out if r.muscle == VALENCE_MUSCLE]
    assert len(valence) == len(SPREAD)
    for v, r in zip(SPREAD, valence, strict=True):
        assert r.change == pytest.approx(v - 2 * v)
        assert r.baseline == pytest.approx(0.0) and r.channel == "Cor-Zyg"
    assert [r.trial for r in valence if r.excluded] == [4]
    assert valence[3].exclude_reason == "clipping"
    c, z = (
        next(r for r in out if r.trial == 1 and r.muscle == m) for m in (corrugator, zygomaticus)
    )
    assert valence[0].z == pytest.approx((c.z or 0) - (z.z or 0))
    without = standardise([r for r in rows if r.muscle == corrugator], 3.5)
    assert not [r for r in without if r.muscle == VALENCE_MUSCLE]


def test_summary_and_curves_count_trials_and_average_kept_ones() -> None:
    rows = []
    for trial, (condition, change) in enumerate([("a", 1.0), ("a", 3.0), ("b", 5.0)], start=1):
        rows += [row("p", trial, "m", change, condition=condition)]
        rows += [row("p", trial, "m", change, bin_number=n, condition=condition) for n in (1, 2)]
    rows += [row("p", 4, "m", 99.0, condition="a", reason="motion")]
    rows += [row("p", 4, "m", 99.0, bin_number=1, condition="a", reason="motion")]
    summary = {s.condition: s for s in summarise(rows)}
    assert (summary["a"].trials, summary["a"].excluded) == (3, 1)
    assert summary["a"].mean_change == pytest.approx(2.0)
    assert summary["a"].sd_change == pytest.approx(statistics.stdev([1.0, 3.0]))
    assert summary["b"].sd_change is None
    curves = {c.condition: c for c in condition_curves(rows)}
    a = curves["a"]
    assert a.bin_start_s == (0.0, 0.1) and a.mean == (2.0, 2.0)
    assert a.trials == 3 and a.excluded == 1
    low, high = a.ci_low[0], a.ci_high[0]
    assert low is not None and high is not None
    assert high - 2.0 == pytest.approx(12.706204736 * statistics.stdev([1.0, 3.0]) / 2**0.5)
    assert curves["b"].ci_low == (None, None)


def test_standardising_twice_changes_nothing() -> None:
    corrugator, zygomaticus = CORRUGATOR_SUPERCILII.name, ZYGOMATICUS_MAJOR.name
    rows = [row("a", k + 1, corrugator, v) for k, v in enumerate(SPREAD)]
    rows += [row("a", k + 1, zygomaticus, -v) for k, v in enumerate(SPREAD)]
    rows += [row("a", 20, corrugator, 100.0), row("a", 20, zygomaticus, 1.0)]
    once = standardise(rows, 3.5)
    assert [r.exclude_reason for r in once if r.excluded] == ["beyond 3.5 SD"] * 2
    assert standardise(once, 3.5) == once
    assert not [r for r in standardise(once, 5.0) if r.excluded]
