"""The simulated participant keeps still after a rest-onset marker, as a relaxed person would."""

from __future__ import annotations

import pytest

from microexp_tui.domain.markers import MARKER_REST_ONSET, guided_contraction_code
from microexp_tui.simulator.participant import (
    STILL_AFTER_REST_S,
    ParticipantConfig,
    SimulatedParticipant,
)

CONFIG = ParticipantConfig(
    react_to_markers=True, spontaneous=True, spontaneous_interval_s=(0.5, 1.5)
)


def onsets_between(participant: SimulatedParticipant, start_s: float, stop_s: float) -> list[float]:
    """Onsets of expressions starting in [start_s, stop_s) (drawing them up to stop_s)."""
    participant.activations_until(stop_s)
    return [x.onset_s for x in participant.expressions if start_s <= x.onset_s < stop_s]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_spontaneous_expression_starts_during_the_rest(seed: int) -> None:
    participant = SimulatedParticipant(CONFIG, (), seed=seed, stream=0)
    participant.activations_until(20.0)  # spontaneous expressions drawn ahead of the rest
    rest_s = 10.0
    assert onsets_between(participant, rest_s, rest_s + STILL_AFTER_REST_S)  # before: busy
    participant.on_marker(MARKER_REST_ONSET, rest_s)
    assert onsets_between(participant, rest_s, rest_s + STILL_AFTER_REST_S) == []
    assert onsets_between(participant, rest_s + STILL_AFTER_REST_S, 40.0)  # then again
    ongoing = [x for x in participant.expressions if x.onset_s < rest_s]
    still = [a for a in participant.activations_until(40.0) if rest_s <= a.onset_s < 18.0]
    # Only the muscles of an expression already under way may still move during the rest.
    last = max(ongoing, key=lambda x: x.onset_s)
    assert all(a.onset_s < last.onset_s + last.duration_s for a in still)


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
