"""Activations grouped into expressions: overlap rule, motion rule, AUs, kind, emotion table."""

from __future__ import annotations

import itertools

import pytest

from microexp_tui.domain.expressions import MICRO_MAX_MS, Activation
from microexp_tui.domain.muscles import EMOTION_CHANNELS, SEED_MONTAGE
from microexp_tui.expressions.emotions import au_scores, hypothesis
from microexp_tui.expressions.grouping import ExpressionGrouper, GroupingSettings, group_activations
from microexp_tui.study.montages import load_preset

RATE_HZ = 1000.0
SEED_UNITS = [muscle.action_units for muscle in SEED_MONTAGE]


def act(channel: int, onset: int, offset: int, peak: float = 300.0) -> Activation:
    """An activation with its apex in the middle."""
    return Activation(channel, onset, offset, (onset + offset) // 2, peak, None)


def test_overlapping_or_close_activations_form_one_expression_and_far_ones_two() -> None:
    found = group_activations(
        [act(0, 1000, 1200), act(7, 1230, 1400), act(2, 3000, 3100)], RATE_HZ, SEED_UNITS
    )
    assert [(x.onset_index, x.offset_index, x.channels) for x in found] == [
        (1000, 1400, (0, 7)),
        (3000, 3100, (2,)),
    ]
    apart = group_activations([act(0, 1000, 1200), act(7, 1251, 1400)], RATE_HZ, SEED_UNITS)
    assert len(apart) == 2, "51 ms apart is beyond the 50 ms gap"


def test_grouping_does_not_depend_on_arrival_order_and_chains_transitively() -> None:
    chain = [act(0, 1000, 1200), act(7, 1180, 1500), act(1, 1490, 1700), act(2, 5000, 5300)]
    results = {
        tuple(
            (x.onset_index, x.offset_index, x.channels)
            for x in group_activations(order, RATE_HZ, SEED_UNITS)
        )
        for order in itertools.permutations(chain)
    }
    assert results == {((1000, 1700, (0, 1, 7)), (5000, 5300, (2,)))}


def test_streaming_release_waits_for_the_watermark() -> None:
    grouper = ExpressionGrouper(RATE_HZ, SEED_UNITS)
    grouper.add([act(0, 1000, 1200)])
    assert grouper.ready(1240) == [], "a later activation starting by 1250 could still join"
    grouper.add([act(7, 1245, 1300)])
    assert grouper.ready(1350) == [], "an onset at 1350 is still within 50 ms of 1300"
    released = grouper.ready(1351)
    assert [x.channels for x in released] == [(0, 7)]
    assert grouper.flush() == []


def test_action_units_and_emotion_follow_a_non_seed_montage() -> None:
    core4 = [spec.action_units for spec in load_preset("core4").channels]
    # core4: 1 zygomaticus (AU12), 2 corrugator (AU4), 3 levator (AU9/10), 4 orbicularis oculi
    smile = group_activations([act(0, 100, 900), act(3, 120, 880)], RATE_HZ, core4)[0]
    assert smile.action_units == ("AU6", "AU7", "AU12") and smile.emotion == "happy"
    frown = group_activations([act(1, 100, 900), act(3, 100, 900)], RATE_HZ, core4)[0]
    assert frown.action_units == ("AU4", "AU6", "AU7") and frown.emotion == "anger"
    # the same channels under the seed montage are frontalis + depressor anguli oris
    seed = group_activations([act(1, 100, 900), act(3, 100, 900)], RATE_HZ, SEED_UNITS)[0]
    assert seed.action_units == ("AU1", "AU2", "AU15") and seed.emotion != "anger"


def test_micro_up_to_500_ms_and_macro_beyond() -> None:
    limit = int(MICRO_MAX_MS)
    micro = group_activations([act(0, 0, limit)], RATE_HZ, SEED_UNITS)[0]
    macro = group_activations([act(0, 0, limit + 1)], RATE_HZ, SEED_UNITS)[0]
    assert (micro.kind, macro.kind) == ("micro", "macro")
    assert micro.duration_ms == MICRO_MAX_MS


def test_synchronous_brief_bursts_on_many_channels_are_motion() -> None:
    burst = [act(c, 2000 + c, 2080 + c) for c in (0, 2, 4, 5)]
    assert group_activations(burst, RATE_HZ, SEED_UNITS) == []
    smile = [act(0, 5000, 5300), act(7, 5000, 5300), act(3, 5002, 5080)]
    assert len(group_activations(smile, RATE_HZ, SEED_UNITS)) == 1, "two muscles + one: kept"
    kept = group_activations(burst, RATE_HZ, SEED_UNITS, GroupingSettings(motion_min_channels=0))
    assert len(kept) == 1
    staggered = [act(c, 2000 + 15 * k, 2080 + 15 * k) for k, c in enumerate((0, 2, 4))]
    assert len(group_activations(staggered, RATE_HZ, SEED_UNITS)) == 1


def test_apex_is_the_strongest_activation_by_percent_of_mvc_when_calibrated() -> None:
    first = Activation(0, 100, 500, 200, 400.0, 30.0)
    second = Activation(7, 110, 490, 300, 250.0, 70.0)
    assert group_activations([first, second], RATE_HZ, SEED_UNITS)[0].apex_index == 300
    uncalibrated = Activation(7, 110, 490, 300, 250.0, None)
    assert group_activations([first, uncalibrated], RATE_HZ, SEED_UNITS)[0].apex_index == 200


@pytest.mark.parametrize("emotion", sorted(EMOTION_CHANNELS))
def test_each_seed_muscle_pair_reads_as_its_emotion(emotion: str) -> None:
    first, second = EMOTION_CHANNELS[emotion]
    guess = hypothesis([SEED_UNITS[first], SEED_UNITS[second]])
    assert guess.emotion == emotion and guess.source == "action_units"
    assert 0.4 <= guess.confidence <= 1.0
    assert guess.scores[emotion] == 1.0


def test_ambiguous_or_empty_muscles_give_no_emotion() -> None:
    corrugator = SEED_UNITS[4]  # AU4 alone: sadness, fear and anger tie
    assert hypothesis([corrugator]).emotion is None and hypothesis([corrugator]).confidence == 0
    assert hypothesis([]).emotion is None
    assert hypothesis([SEED_UNITS[0]]).emotion == "happy", "AU12 alone is a smile"
    assert au_scores([SEED_UNITS[0]])["happy"] == 0.5


def test_classifier_probabilities_combine_with_the_action_units() -> None:
    corrugator = SEED_UNITS[4]
    guess = hypothesis([corrugator], {"anger": 0.8, "sadness": 0.1, "fear": 0.1})
    assert (guess.emotion, guess.source) == ("anger", "both")
    guess = hypothesis([], {"fear": 0.7, "anger": 0.3})
    assert (guess.emotion, guess.source) == ("fear", "classifier")
    pair = [SEED_UNITS[0], SEED_UNITS[7]]
    assert hypothesis(pair, {"disgust": 0.6, "happy": 0.4}).emotion == "happy"
