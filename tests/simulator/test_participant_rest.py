"""The simulated participant keeps still when asked to rest or to contract one muscle, until
the next stimulus, as a person following the electrode check or the calibration would."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    guided_contraction_code,
    stimulus_onset_code,
)
from microexp_tui.simulator.participant import (
    STILL_MAX_S,
    ParticipantConfig,
    SimulatedParticipant,
)
from microexp_tui.simulator.signals import REST_MEAN_COUNTS, SignalConfig, SignalGenerator

CONFIG = ParticipantConfig(
    react_to_markers=True, spontaneous=True, spontaneous_interval_s=(0.1, 0.4)
)


def onsets_between(participant: SimulatedParticipant, start_s: float, stop_s: float) -> list[float]:
    """Onsets of spontaneous expressions starting in [start_s, stop_s) (drawn up to stop_s)."""
    participant.activations_until(stop_s)
    return [
        x.onset_s
        for x in participant.expressions
        if x.source == "spontaneous" and start_s <= x.onset_s < stop_s
    ]


def moving_at(participant: SimulatedParticipant, time_s: float) -> list[int]:
    """Channels whose activations are under way at `time_s` (ramps included)."""
    activations = participant.activations_until(time_s + 1.0)
    return [a.channel for a in activations if a.start_s <= time_s < a.end_s]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_rest_cue_stills_the_participant_until_the_next_stimulus(seed: int) -> None:
    participant = SimulatedParticipant(CONFIG, (), seed=seed, stream=0)
    participant.activations_until(20.0)  # spontaneous expressions drawn ahead of the rest
    rest_s = 10.0
    assert onsets_between(participant, rest_s, rest_s + 5.0)  # before the cue: restless
    participant.on_marker(MARKER_REST_ONSET, rest_s)
    stimulus_s = rest_s + 60.0  # far longer than any former fixed stillness
    assert onsets_between(participant, rest_s, stimulus_s) == []
    # An expression under way at the cue ends there (its offset ramp is all that is left).
    assert moving_at(participant, rest_s + 0.2) == []
    participant.forget_before(rest_s + 1.0)
    participant.on_marker(stimulus_onset_code("happy"), stimulus_s)
    assert onsets_between(participant, stimulus_s, stimulus_s + 10.0)  # restless again
    assert participant.still_windows[-1] == (rest_s, stimulus_s)


def test_stillness_ends_by_itself_after_the_longest_step() -> None:
    participant = SimulatedParticipant(CONFIG, (), seed=4, stream=0)
    participant.on_marker(MARKER_REST_ONSET, 1.0)
    assert onsets_between(participant, 1.0, 1.0 + STILL_MAX_S) == []
    assert onsets_between(participant, 1.0 + STILL_MAX_S, 10.0 + STILL_MAX_S)


def test_guided_contractions_keep_the_other_muscles_still() -> None:
    participant = SimulatedParticipant(CONFIG, (), seed=6, stream=0)
    participant.on_marker(MARKER_REST_ONSET, 1.0)
    for number, channel in enumerate([0, 3, 7]):
        participant.on_marker(guided_contraction_code(channel), 7.0 + 4 * number)
    during = [a for a in participant.activations_until(40.0) if 1.0 <= a.start_s < 40.0]
    assert sorted({a.channel for a in during}) == [0, 3, 7]
    assert onsets_between(participant, 1.0, 40.0) == []
    participant.on_marker(MARKER_STIMULUS_OFFSET, 40.0)
    assert onsets_between(participant, 40.0, 50.0)


def test_stimuli_still_get_a_reaction_after_a_rest() -> None:
    participant = SimulatedParticipant(CONFIG, (), seed=0, stream=0)
    participant.on_marker(MARKER_REST_ONSET, 1.0)
    scheduled = participant.on_marker(0x0101, 2.0)
    assert scheduled and all(x.emotion == "happy" for x in scheduled)


@pytest.mark.parametrize("channel", [0, 3, 7])
def test_a_guided_contraction_moves_the_asked_muscle_alone(channel: int) -> None:
    participant = SimulatedParticipant(CONFIG, (), seed=5, stream=0)
    participant.on_marker(MARKER_REST_ONSET, 0.0)
    scheduled = participant.on_marker(guided_contraction_code(channel), 1.0)
    assert [x.muscle_channels() for x in scheduled] == [(channel,)]
    during = [a for a in participant.activations_until(4.0) if 1.0 <= a.onset_s < 4.0]
    assert {a.channel for a in during} == {channel}
    assert all(a.duration_s >= 1.8 for a in during)


@pytest.mark.parametrize("mode", ["envelope", "raw"])
def test_no_motion_artifact_while_the_participant_keeps_still(mode: str) -> None:
    rate_hz = 500
    config = SignalConfig(mode, rate_hz, 8, seed=3, motion_artifacts_per_min=120.0)
    moving = SignalGenerator(config).block(0, 60 * rate_hz, [])
    still = SignalGenerator(config).block(0, 60 * rate_hz, [], [(10.0, 50.0)])
    inside = slice(10 * rate_hz, 50 * rate_hz)
    quiet = REST_MEAN_COUNTS + 80 if mode == "envelope" else 512 + 120
    assert np.abs(moving[inside]).max() > quiet  # artifacts happen here...
    assert np.abs(still[inside]).max() < quiet  # ...but not while keeping still
    assert np.array_equal(moving[: 10 * rate_hz], still[: 10 * rate_hz])
    assert np.array_equal(moving[50 * rate_hz :], still[50 * rate_hz :])
