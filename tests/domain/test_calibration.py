"""The calibration rule, and the screen, detection and classifier agreeing on every channel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.analysis.microexpressions import session_calibration
from microexp_tui.domain.calibration import (
    MIN_SPAN_NOISE_FACTOR,
    Calibration,
    ChannelCalibration,
    DetectionLevels,
    span_floor,
)
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.dsp.activations import ActivationDetector
from microexp_tui.dsp.calibration import measure_calibration
from microexp_tui.errors import InputError
from microexp_tui.inference.normalisation import normalise
from microexp_tui.session_flow.checks import evaluate_calibration, weak_channels
from microexp_tui.session_flow.steps import Step, StepWindow
from microexp_tui.store.sessions import SessionStore

FLOOR = span_floor("counts")
RATE_HZ = 1000


def _channel(baseline: float, rest_sd: float, max_value: float) -> ChannelCalibration:
    """One channel 0 row."""
    return ChannelCalibration(0, baseline, rest_sd, max_value)


def test_a_span_of_exactly_ten_rest_sds_is_usable_and_just_below_is_not() -> None:
    assert MIN_SPAN_NOISE_FACTOR == 10.0
    assert _channel(10.0, 8.0, 90.0).usable(FLOOR)  # span 80 = 10 x 8, above the 50 floor
    assert not _channel(10.0, 8.0, 89.99).usable(FLOOR)


def test_a_span_below_the_units_floor_is_not_usable_however_quiet_the_rest() -> None:
    assert FLOOR == 50.0
    assert not _channel(10.0, 0.1, 10.0 + FLOOR - 0.01).usable(FLOOR)
    assert _channel(10.0, 0.1, 10.0 + FLOOR).usable(FLOOR)
    assert _channel(10.0, 0.0, 30.0).usable(10.0)  # another unit's floor is a parameter
    with pytest.raises(InputError, match="No calibration floor is defined for channels in 'uV'"):
        Calibration((_channel(10.0, 0.1, 90.0),), ("uV",))


def test_a_flat_or_falling_contraction_is_not_usable() -> None:
    assert not _channel(10.0, 0.0, 10.0).usable(FLOOR)
    assert not _channel(10.0, 0.0, 5.0).usable(FLOOR)
    flat = measure_calibration(np.full((500, 1), 10.0), {0: np.full((500, 1), 10.0)})
    assert flat.usable == (False,) and flat.channels[0].span == 0.0


def test_nan_input_is_never_usable_and_each_view_says_what_it_can() -> None:
    nan = math.nan
    calibration = Calibration(
        (
            ChannelCalibration(0, 10.0, 1.0, nan),  # contraction lost
            ChannelCalibration(1, 10.0, nan, 400.0),  # rest noise unknown
            ChannelCalibration(2, nan, 1.0, 400.0),  # rest level unknown
        )
    )
    assert calibration.usable == (False, False, False)
    assert calibration.detection_levels() == (DetectionLevels(10.0, 1.0, None), None, None)
    with pytest.raises(InputError, match=r"Channel\(s\) 3 of the calibration have no rest level"):
        calibration.normalisation_range()
    two = Calibration(calibration.channels[:2])
    _, span = two.normalisation_range()
    assert span.tolist() == [max(10.0, FLOOR), FLOOR]  # the rule's smallest usable span


def test_a_calibration_judges_every_row_it_holds_and_needs_channels_in_order() -> None:
    stale = (
        ChannelCalibration(0, 10.0, 1.0, 400.0, valid=False),
        ChannelCalibration(1, 10.0, 1.0, 20.0, valid=True),
    )
    assert [row.valid for row in Calibration(stale).channels] == [True, False]
    with pytest.raises(InputError, match=r"channels 1\.\.2 in order"):
        Calibration((stale[1], stale[0]))
    with pytest.raises(InputError, match="one row and one unit per channel"):
        Calibration(())


def test_a_calibration_without_rest_samples_is_refused() -> None:
    with pytest.raises(InputError, match="No rest samples"):
        measure_calibration(np.empty((0, 2)), {})


def _participant() -> tuple[np.ndarray, dict[int, tuple[StepWindow, np.ndarray]]]:
    """Rest and contraction envelopes of four channels: strong, below floor, noisy, absent."""
    rng = np.random.default_rng(7)
    rest_levels, rest_sds = np.array([20.0, 20.0, 40.0, 20.0]), np.array([2.0, 0.5, 20.0, 2.0])
    rises = {0: 400.0, 1: 30.0, 2: 120.0}  # channel 3 never contracts

    def resting(n: int) -> np.ndarray:
        return rest_levels + rng.normal(0.0, 1.0, (n, 4)) * rest_sds

    contractions = {}
    for number, (channel, rise) in enumerate(rises.items()):
        window = resting(3000)
        window[:, channel] += rise
        start = 6000 + 4000 * number
        step = Step("contract", 3.0, "contract", channel)
        contractions[channel] = (StepWindow(step, start, start + 3000), window)
    return resting(5000), contractions


def _treatments(calibration: Calibration) -> tuple[list[bool], list[bool], list[bool]]:
    """Per channel: usable by the screen, % MVC given by detection, own span by the classifier."""
    montage = [ChannelSpec(n, f"ch{n + 1}", "Frontalis", "envelope") for n in range(4)]
    weak = weak_channels(calibration, montage)
    screen = [n + 1 not in weak for n in range(4)]
    detector = ActivationDetector(RATE_HZ, 4, levels=calibration.detection_levels())
    signal = np.array([row.baseline for row in calibration.channels]) + np.zeros((4000, 4))
    signal[1000:1600] += 300.0  # a clear contraction on every channel
    found = detector.push(0, signal) + detector.flush()
    assert sorted(a.channel_index for a in found) == [0, 1, 2, 3]
    detection = [a.peak_pct_mvc is not None for a in sorted(found, key=lambda a: a.channel_index)]
    maxima = np.array([[row.max_value for row in calibration.channels]])
    classifier = [bool(np.isclose(v, 1.0)) for v in normalise(maxima, calibration)[0]]
    return screen, detection, classifier


def test_screen_detection_and_classifier_agree_on_every_channel(tmp_path: Path) -> None:
    rest, contractions = _participant()
    rest_window = StepWindow(Step("rest", 5.0, "relax"), 0, 5000)
    calibration = evaluate_calibration(rest_window, rest, contractions)
    expected = [True, False, False, False]  # below the floor, under 10 SDs, no contraction
    assert _treatments(calibration) == (expected, expected, expected)
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        participant = store.create_participant(code="P-CAL")
        montage = [ChannelSpec(n, f"ch{n + 1}", "Frontalis", "envelope") for n in range(4)]
        session_id = store.start_session(
            participant.id, sample_rate_hz=RATE_HZ, channels=montage, device={}, simulated=True
        )
        store.save_calibration(session_id, calibration.channels, "test")
        stored = store.calibration(session_id)
        assert [row.valid for row in stored] == expected
        read_back = session_calibration(store, session_id)
    assert read_back == calibration
    assert _treatments(read_back) == (expected, expected, expected)
