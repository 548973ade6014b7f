"""EMG expressions scored against video-coded AUs: the metrics equal what the generator planted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from microexp_tui.domain.expressions import Activation, Expression, kind_of
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.expressions.au_import import au_events, read_au_csv
from microexp_tui.expressions.validation import (
    explicit_alignment,
    marker_alignment,
    match_onsets,
    report_as_dict,
    report_from_dict,
    validate,
)
from microexp_tui.paths import resource_dir
from microexp_tui.simulator.au_csv import (
    AuPlan,
    expression_action_units,
    plan_au_events,
    write_openface_csv,
)
from microexp_tui.simulator.participant import ScriptedExpression
from microexp_tui.simulator.scenario import load_scenario

RATE_HZ = 1000.0
OBSERVABLE = {au for muscle in SEED_MONTAGE for au in muscle.action_units}


def as_detected(scripted: Sequence[ScriptedExpression]) -> list[Expression]:
    """The scenario's expressions as a perfect EMG detector would report them."""
    detected = []
    for item in scripted:
        onset = round(item.onset_s * RATE_HZ)
        offset = onset + round(item.duration_s * RATE_HZ)
        activations = tuple(
            Activation(channel, onset, offset, (onset + offset) // 2, 300.0, 50.0)
            for channel in item.muscle_channels()
        )
        detected.append(
            Expression(
                RATE_HZ,
                onset,
                offset,
                (onset + offset) // 2,
                activations,
                expression_action_units(item, SEED_MONTAGE),
                kind_of(1000.0 * item.duration_s),
                item.emotion,
                0.9,
            )
        )
    return detected


def many_expressions(count: int, spacing_s: float = 3.0) -> list[ScriptedExpression]:
    """Alternating micro (40-450 ms) and macro expressions of every emotion, spaced apart."""
    emotions = ("happy", "surprise", "disgust", "sadness", "fear", "anger")
    result = []
    for index in range(count):
        duration_s = 0.04 + 0.41 * (index % 5) / 4 if index % 2 == 0 else 1.0 + 0.25 * (index % 4)
        result.append(
            ScriptedExpression(2.0 + spacing_s * index, duration_s, 300.0, emotions[index % 6])
        )
    return result


def generated(
    tmp_path: Path, scripted: list[ScriptedExpression], **plan_options: float
) -> tuple[AuPlan, Path]:
    """Plan AU events for the expressions and write them as an OpenFace CSV."""
    duration_s = scripted[-1].onset_s + scripted[-1].duration_s + 3.0
    plan = plan_au_events(scripted, SEED_MONTAGE, duration_s=duration_s, **plan_options)  # type: ignore[arg-type]
    path = tmp_path / "openface.csv"
    write_openface_csv(plan, path)
    return plan, path


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_what_the_generator_planted(tmp_path: Path, seed: int) -> None:
    scripted = many_expressions(60)
    plan, path = generated(
        tmp_path, scripted, video_start_s=1.5, miss_probability=0.15, extras_per_min=6, seed=seed
    )
    table = read_au_csv(path)
    report = validate(
        as_detected(scripted),
        au_events(table),
        observable_aus=OBSERVABLE,
        alignment=explicit_alignment(plan.video_start_s),
        au_file=str(path),
        au_file_sha256=table.sha256,
        au_file_span_s=(float(table.timestamps_s[0]), float(table.timestamps_s[-1])),
        coded_aus=table.action_units,
    )
    assert plan.missed and any(plan.extra_events(au) for au in OBSERVABLE)
    by_au = {score.action_unit: score for score in report.per_action_unit}
    for au, score in by_au.items():
        planted_true = len(plan.true_events(au))
        emg = sum(au in expression_action_units(x, SEED_MONTAGE) for x in scripted)
        assert score.emg_events == emg
        assert score.au_events == planted_true + len(plan.extra_events(au))
        assert score.matched == planted_true
        assert score.precision == pytest.approx(planted_true / emg)
    assert report.overall.matched == sum(s.matched for s in by_au.values())
    assert report.overall.median_onset_latency_ms is not None
    # Onset jitter is 15 ms and frames are 33 ms apart: latency stays within a frame or two.
    assert abs(report.overall.median_onset_latency_ms) < 40.0
    # Columns no montage muscle produces, and the montage's AU24 OpenFace cannot code.
    assert {"AU5", "AU25", "AU26", "AU45", "AU24"} <= set(report.ignored_action_units)
    assert "AU12" not in report.ignored_action_units
    micro_confirmed = {round(c.onset_s, 3) for c in report.confirmed_micro}
    expected = {
        round(scripted[index].onset_s, 3)
        for index, item in enumerate(scripted)
        if item.duration_s <= 0.5
        and any(
            len([e for e in plan.true_events(au) if e.expression == index]) for au in OBSERVABLE
        )
    }
    assert micro_confirmed == expected


def test_a_wrong_offset_is_visible_as_failed_matches(tmp_path: Path) -> None:
    scripted = many_expressions(20)
    _plan, path = generated(
        tmp_path, scripted, video_start_s=2.0, miss_probability=0.0, extras_per_min=0
    )
    events = au_events(read_au_csv(path))
    good = validate(
        as_detected(scripted),
        events,
        observable_aus=OBSERVABLE,
        alignment=explicit_alignment(2.0),
        au_file="f",
        au_file_sha256="x",
    )
    wrong = validate(
        as_detected(scripted),
        events,
        observable_aus=OBSERVABLE,
        alignment=explicit_alignment(0.0),
        au_file="f",
        au_file_sha256="x",
    )
    assert good.overall.recall == pytest.approx(1.0)
    assert wrong.overall.matched == 0
    assert wrong.overall.f1 == 0.0


def test_marker_alignment_puts_the_video_on_the_session_clock() -> None:
    alignment = marker_alignment(12.5, "trigger 0x0400", au_sync_s=2.5)
    assert alignment.offset_s == pytest.approx(10.0)
    assert "12.500" in alignment.description and "2.500" in alignment.description


def test_expressions_outside_the_video_are_not_scored(tmp_path: Path) -> None:
    scripted = many_expressions(20)
    _plan, path = generated(tmp_path, scripted, miss_probability=0.0, extras_per_min=0)
    table = read_au_csv(path)
    late = as_detected([ScriptedExpression(table.timestamps_s[-1] + 30.0, 0.2, 300.0, "happy")])
    report = validate(
        as_detected(scripted) + late,
        au_events(table),
        observable_aus=OBSERVABLE,
        alignment=explicit_alignment(0.0),
        au_file="f",
        au_file_sha256="x",
        au_file_span_s=(float(table.timestamps_s[0]), float(table.timestamps_s[-1])),
    )
    assert report.overall.precision == pytest.approx(1.0)


def test_match_onsets_is_one_to_one_and_closest_first() -> None:
    pairs = match_onsets([1.0, 1.05, 5.0], [1.04, 1.2, 9.0], tolerance_s=0.2)
    assert pairs == [(0, 1), (1, 0)]
    assert match_onsets([], [1.0], 0.1) == []


def test_report_round_trips_through_json_types(tmp_path: Path) -> None:
    scripted = many_expressions(12)
    _plan, path = generated(tmp_path, scripted)
    report = validate(
        as_detected(scripted),
        au_events(read_au_csv(path)),
        observable_aus=OBSERVABLE,
        alignment=explicit_alignment(0.0),
        au_file="f",
        au_file_sha256="x",
    )
    import json

    assert report_from_dict(json.loads(json.dumps(report_as_dict(report)))) == report


def test_micro_macro_scenario_ground_truth_validates_fully(tmp_path: Path) -> None:
    scenario = load_scenario(resource_dir("templates") / "scenarios" / "micro_macro.toml")
    scripted = list(scenario.expressions)
    _plan, path = generated(tmp_path, scripted, miss_probability=0.0, extras_per_min=0)
    report = validate(
        as_detected(scripted),
        au_events(read_au_csv(path)),
        observable_aus=OBSERVABLE,
        alignment=explicit_alignment(0.0),
        au_file="f",
        au_file_sha256="x",
    )
    assert report.overall.f1 == pytest.approx(1.0)
    assert len(report.confirmed_micro) == sum(x.duration_s <= 0.5 for x in scripted)
