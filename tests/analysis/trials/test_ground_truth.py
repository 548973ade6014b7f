"""The trial table of a real recording against what the simulator was told to do.

One session is recorded (the simulator paced on a pseudo-terminal, the recorder, SQLite):
a facial-mimicry block (anger and happy stimuli; the simulated participant frowns to anger
with the corrugator and smiles to happy with the zygomaticus, each 300 ms after the onset),
then trigger trials with a scripted corrugator contraction of rising level 1 s after each
trigger, then trigger trials with one planted fault each (lost samples, clipping, motion,
flat line), a clean one, and trials whose epoch runs past the start or the end.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

import pytest

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.pooled import participant_trials
from microexp_tui.analysis.trials.session import session_trials
from microexp_tui.analysis.trials.table import VALENCE_MUSCLE, WHOLE_WINDOW_BIN, TrialRow
from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.markers import MARKER_TRIGGER_INPUT, stimulus_onset_code
from microexp_tui.domain.muscles import (
    CORRUGATOR_SUPERCILII,
    ORBICULARIS_OCULI,
    SEED_MONTAGE,
    ZYGOMATICUS_MAJOR,
)
from microexp_tui.simulator.participant import amplitude_to_counts
from microexp_tui.store.sessions import SessionStore
from tests.analysis.trials.recording import Recorded, record

REACTION_LATENCY_S = 0.3
MIMICRY_ONSETS_S = [3.0 + 6.0 * k for k in range(8)]
MIMICRY = ["anger", "happy"] * 4
LADDER_ONSETS_S = [51.0, 57.0, 63.0, 69.0]
LADDER_AMPLITUDES = [0.2, 0.4, 0.6, 0.8]
LADDER_DELAY_S = 1.0
FAULT_ONSETS_S = {"lost": 75.0, "clipping": 81.0, "motion": 87.0, "flat": 93.0}
CLEAN_ONSET_S = 99.0
FIRST_ONSET_S, LAST_ONSET_S, DURATION_S = 0.5, 104.5, 106.0
MOTION_CHANNELS = [2, 3, 4, 6]
"""1-based, like the scenario file (frontalis, levator, depressor anguli, depressor supercilii)."""

SCENARIO = f"""
description = "trial tables: mimicry, a level ladder and one fault per trial"
[signal]
motion_artifacts_per_min = 0
[participant]
react_to_markers = true
latency_ms = [{REACTION_LATENCY_S * 1000}, {REACTION_LATENCY_S * 1000}]
reaction_duration_ms = [2000, 2000]
micro_probability = 0
spontaneous = false
"""
SCENARIO += "".join(
    f"""
[[expression]]
at_s = {onset + LADDER_DELAY_S}
channels = [5]
duration_ms = 1500
amplitude = {amplitude}
"""
    for onset, amplitude in zip(LADDER_ONSETS_S, LADDER_AMPLITUDES, strict=True)
)
SCENARIO += f"""
[[fault]]
at_s = {FAULT_ONSETS_S["lost"] + 0.5}
kind = "drop"
duration_s = 0.2
[[fault]]
at_s = {FAULT_ONSETS_S["clipping"] + 0.5}
kind = "clipping"
duration_s = 0.5
channels = [8]
[[fault]]
at_s = {FAULT_ONSETS_S["motion"] + 0.5}
kind = "motion"
channels = {MOTION_CHANNELS}
[[fault]]
at_s = {FAULT_ONSETS_S["flat"] + 0.5}
kind = "electrode_off"
duration_s = 1.0
channels = [1]
"""
TRIGGERS_S = [
    FIRST_ONSET_S,
    *LADDER_ONSETS_S,
    *FAULT_ONSETS_S.values(),
    CLEAN_ONSET_S,
    LAST_ONSET_S,
]
PLAN = [(t, stimulus_onset_code(e)) for t, e in zip(MIMICRY_ONSETS_S, MIMICRY, strict=True)]
PLAN += [(t, MARKER_TRIGGER_INPUT) for t in TRIGGERS_S]
ALL_MUSCLES = [muscle.name for muscle in SEED_MONTAGE]
CORRUGATOR, ZYGOMATICUS = CORRUGATOR_SUPERCILII.name, ZYGOMATICUS_MAJOR.name
OCULI = ORBICULARIS_OCULI.name
"""The second muscle of both anger and happy in the simulator's seed montage."""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """The session, recorded once for every test here."""
    folder = tmp_path_factory.mktemp("trials")
    return record(folder, SCENARIO, PLAN, DURATION_S, sim_args=["--seed", "3"])


@pytest.fixture(scope="module")
def rows(recorded: Recorded) -> list[TrialRow]:
    """The standardised table of the session (default options)."""
    with SessionStore.open(recorded.database) as store:
        return participant_trials(
            store,
            [recorded.session_id],
            TrialOptions(),
            site="lab",
            participant="sub-x",
            session_labels={recorded.session_id: "ses-1"},
        )


def whole(rows: list[TrialRow], muscle: str | None = None) -> list[TrialRow]:
    """The whole-window rows (of one muscle)."""
    return [r for r in rows if r.bin == WHOLE_WINDOW_BIN and muscle in (None, r.muscle)]


def trial_at(rows: list[TrialRow], onset_s: float) -> int:
    """The number of the trial marked nearest `onset_s` (markers land within ~0.1 s)."""
    nearest = min(whole(rows), key=lambda r: abs(r.onset_s - onset_s))
    assert abs(nearest.onset_s - onset_s) < 0.15, (nearest.onset_s, onset_s)
    return nearest.trial


def row_of(rows: list[TrialRow], onset_s: float, muscle: str) -> TrialRow:
    """The whole-window row of the trial marked at `onset_s` on one muscle."""
    trial = trial_at(rows, onset_s)
    (found,) = [r for r in whole(rows, muscle) if r.trial == trial]
    return found


def test_trials_are_the_stimuli_and_triggers_where_the_markers_landed(
    recorded: Recorded, rows: list[TrialRow]
) -> None:
    with SessionStore.open(recorded.database) as store:
        found = session_trials(store, recorded.session_id, TrialOptions())
        markers = store.markers(recorded.session_id)
    planned = sorted(
        [(t, e) for t, e in zip(MIMICRY_ONSETS_S, MIMICRY, strict=True)]
        + [(t, "trigger") for t in TRIGGERS_S]
    )
    assert [o.condition for o in found.onsets] == [c for _, c in planned]
    assert [o.sample_index for o in found.onsets] == [m.sample_index for m in markers]
    assert [o.trial for o in found.onsets] == list(range(1, len(planned) + 1))
    assert {(r.site, r.participant, r.session) for r in rows} == {("lab", "sub-x", "ses-1")}
    assert found.participant_code == "P-TRIALS"


def test_response_latency_is_the_scripted_one(rows: list[TrialRow]) -> None:
    pairs = {"anger": CORRUGATOR, "happy": ZYGOMATICUS}
    for onset, emotion in zip(MIMICRY_ONSETS_S, MIMICRY, strict=True):
        # the reaction re-draws which muscle of the emotion's pair is active ("mixed"), so
        # the pair's first onset is the scripted one
        latencies = [row_of(rows, onset, m).onset_latency_s for m in (pairs[emotion], OCULI)]
        first = min(latency for latency in latencies if latency is not None)
        assert first == pytest.approx(REACTION_LATENCY_S, abs=0.05), (onset, emotion)
    for onset in LADDER_ONSETS_S:
        row = row_of(rows, onset, CORRUGATOR)
        assert row.onset_latency_s is not None
        # the scripted onset is in session time: where the marker landed does not matter
        assert row.onset_s + row.onset_latency_s == pytest.approx(onset + LADDER_DELAY_S, abs=0.05)


def test_response_size_follows_the_scripted_level(rows: list[TrialRow]) -> None:
    ladder = [row_of(rows, onset, CORRUGATOR) for onset in LADDER_ONSETS_S]
    changes = [r.change or 0.0 for r in ladder]
    assert all(r.change is not None for r in ladder)
    assert changes == sorted(changes), changes
    for row, amplitude in zip(ladder, LADDER_AMPLITUDES, strict=True):
        assert row.peak == pytest.approx(amplitude_to_counts(amplitude), rel=0.12)
        assert row.peak_latency_s is not None and 1.0 < row.peak_latency_s < 2.5
    per_level = [r.change / a for r, a in zip(ladder, LADDER_AMPLITUDES, strict=True) if r.change]
    assert max(per_level) / min(per_level) < 1.35, per_level
    others = [row_of(rows, onset, ZYGOMATICUS).change for onset in LADDER_ONSETS_S]
    assert max(abs(c or 0.0) for c in others) < 0.25 * min(changes), others


def test_facial_mimicry_corrugator_to_anger_zygomaticus_to_happy(rows: list[TrialRow]) -> None:
    def mean_change(muscle: str, emotion: str) -> float:
        return statistics.fmean(
            row_of(rows, t, muscle).change or 0.0
            for t, e in zip(MIMICRY_ONSETS_S, MIMICRY, strict=True)
            if e == emotion
        )

    assert mean_change(CORRUGATOR, "anger") > 5 * max(mean_change(CORRUGATOR, "happy"), 5.0)
    assert mean_change(ZYGOMATICUS, "happy") > 5 * max(mean_change(ZYGOMATICUS, "anger"), 5.0)
    for onset, emotion in zip(MIMICRY_ONSETS_S, MIMICRY, strict=True):
        valence = row_of(rows, onset, VALENCE_MUSCLE)
        corrugator, zygomaticus = (row_of(rows, onset, m) for m in (CORRUGATOR, ZYGOMATICUS))
        assert valence.change == pytest.approx((corrugator.change or 0) - (zygomaticus.change or 0))
        assert (valence.change or 0) > 0 if emotion == "anger" else (valence.change or 0) < 0


def test_exclusions_are_exactly_the_planted_faults_with_their_reasons(
    rows: list[TrialRow],
) -> None:
    def on(onset_s: float, muscles: list[str], reason: str) -> set[tuple[int, str, str]]:
        return {(trial_at(rows, onset_s), muscle, reason) for muscle in muscles}

    moved = [ALL_MUSCLES[c - 1] for c in MOTION_CHANNELS]
    expected = (
        on(FIRST_ONSET_S, ALL_MUSCLES, "outside the recording")
        | on(FAULT_ONSETS_S["lost"], ALL_MUSCLES, "lost samples")
        | on(FAULT_ONSETS_S["clipping"], [ORBICULARIS_OCULI.name], "clipping")
        | on(FAULT_ONSETS_S["motion"], ALL_MUSCLES, "motion")
        | on(FAULT_ONSETS_S["flat"], [ZYGOMATICUS], "flat line")
        | on(LAST_ONSET_S, ALL_MUSCLES, "outside the recording")
    )
    found = {
        (r.trial, r.muscle, reason)
        for r in whole(rows)
        if r.muscle != VALENCE_MUSCLE
        for reason in r.exclude_reason.split("; ")
        if r.excluded
    }
    # a clipped run is also flat at the rail, so clipping may bring "flat line" along
    clipped = trial_at(rows, FAULT_ONSETS_S["clipping"])
    found.discard((clipped, ORBICULARIS_OCULI.name, "flat line"))
    assert found == expected
    assert moved and all((r.excluded == bool(r.exclude_reason)) for r in rows)
    for row in rows:  # every bin of a trial and muscle shares its verdict
        (verdict,) = {
            (r.excluded, r.exclude_reason) for r in whole(rows, row.muscle) if r.trial == row.trial
        }
        assert (row.excluded, row.exclude_reason) == verdict
    flat = trial_at(rows, FAULT_ONSETS_S["flat"])
    (valence,) = [r for r in whole(rows, VALENCE_MUSCLE) if r.trial == flat]
    assert valence.excluded and valence.exclude_reason == "flat line"


def test_z_has_mean_0_and_sd_1_per_participant_muscle_and_bin_kind(rows: list[TrialRow]) -> None:
    groups: dict[tuple[str, bool], list[float]] = defaultdict(list)
    for row in rows:
        if row.muscle != VALENCE_MUSCLE and not row.excluded:
            assert row.z is not None
            groups[(row.muscle, row.bin == WHOLE_WINDOW_BIN)].append(row.z)
        elif row.excluded:
            assert row.z is None
    assert len(groups) == 2 * len(ALL_MUSCLES)
    for values in groups.values():
        assert statistics.fmean(values) == pytest.approx(0.0, abs=1e-9)
        assert statistics.stdev(values) == pytest.approx(1.0, abs=1e-9)


def test_bins_tile_the_window_and_the_whole_window_is_their_mean(rows: list[TrialRow]) -> None:
    options = TrialOptions()
    clean = trial_at(rows, CLEAN_ONSET_S)
    for muscle in ALL_MUSCLES:
        trial = sorted(
            (r for r in rows if r.trial == clean and r.muscle == muscle), key=lambda r: r.bin
        )
        assert [r.bin for r in trial] == list(range(41))
        assert [r.bin_start_s for r in trial[1:]] == pytest.approx([k / 10 for k in range(40)])
        assert trial[0].bin_start_s == options.window_s[0]
        assert trial[0].bin_end_s == options.window_s[1]
        bins = [r.mean or 0.0 for r in trial[1:]]
        assert trial[0].mean == pytest.approx(statistics.fmean(bins), rel=1e-6)
        assert trial[0].peak == pytest.approx(max(r.peak or 0.0 for r in trial[1:]))
        for row in trial:
            assert row.change == pytest.approx((row.mean or 0) - (row.baseline or 0))
            assert row.unit == "counts" and row.pct_mvc is None  # no calibration was made
            assert row.pct_change is not None


def test_other_windows_and_bins_are_cut_where_asked(recorded: Recorded) -> None:
    options = TrialOptions(baseline_s=(-0.5, 0.0), window_s=(0.5, 2.0), bin_ms=500)
    with SessionStore.open(recorded.database) as store:
        found = session_trials(store, recorded.session_id, options).rows
    onset = LADDER_ONSETS_S[-1]
    trial = [r for r in found if abs(r.onset_s - onset) < 0.15 and r.muscle == CORRUGATOR]
    assert [(r.bin, r.bin_start_s, r.bin_end_s) for r in trial] == [
        (0, 0.5, 2.0),
        (1, 0.5, 1.0),
        (2, 1.0, 1.5),
        (3, 1.5, 2.0),
    ]
    assert all(r.z is None for r in found)  # standardising is the caller's step
    latency = trial[0].onset_latency_s
    assert latency is not None and 0.5 <= latency < 2.0


def test_calibration_gives_pct_mvc_and_noise_floors_where_it_is_usable(
    recorded: Recorded,
) -> None:
    """Runs last: it stores a calibration with the session (rest, noise and maximum per
    channel): the corrugator's span is usable, the zygomaticus's too small for the rule, and
    the frontalis's rest noise is above any baseline it has."""
    zygomaticus, frontalis = 0, 1  # channels 1 and 2 (0-based)
    windows = (0, 1000, 1000, 2000)  # where rest and maximum were read (not used here)
    rows = [ChannelCalibration(c, 20.0, 2.0, 620.0, False, *windows) for c in range(8)]
    rows[zygomaticus] = ChannelCalibration(zygomaticus, 20.0, 2.0, 45.0, False, *windows)
    rows[frontalis] = ChannelCalibration(frontalis, 20.0, 500.0, 20000.0, False, *windows)
    with SessionStore.open(recorded.database) as store:
        store.save_calibration(recorded.session_id, rows)
        found = session_trials(store, recorded.session_id, TrialOptions()).rows
    by_muscle = defaultdict(list)
    for row in found:
        by_muscle[row.muscle].append(row)
    for row in by_muscle[CORRUGATOR]:
        if row.change is not None:
            assert row.pct_mvc == pytest.approx(100.0 * row.change / 600.0)
    assert all(row.pct_mvc is None for row in by_muscle[ZYGOMATICUS])
    assert all(row.pct_change is None for row in by_muscle[ALL_MUSCLES[frontalis]])
    assert all(row.pct_change is not None for row in by_muscle[CORRUGATOR] if row.change)
