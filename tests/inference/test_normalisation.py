"""The shared per-participant normalisation: rest maps to 0, maximal contraction to 1."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.domain.calibration import (
    MIN_SPAN_NOISE_FACTOR,
    Calibration,
    pooled_calibration,
    span_floor,
)
from microexp_tui.dsp.calibration import estimate_calibration, measure_calibration
from microexp_tui.errors import InputError
from microexp_tui.inference.normalisation import CLIP_RANGE, normalise


def test_rest_and_contraction_segments_map_to_zero_and_one() -> None:
    rng = np.random.default_rng(1)
    rest = 30.0 + rng.normal(0, 3, (2000, 3))
    strongest = np.array([400.0, 500.0, 600.0]) + rng.normal(0, 5, (2000, 3))
    calibration = measure_calibration(rest, dict.fromkeys(range(3), strongest))
    assert np.allclose([row.baseline for row in calibration.channels], 30.0, atol=0.5)
    assert normalise(rest, calibration).mean(axis=0) == pytest.approx([0, 0, 0], abs=0.01)
    top = normalise(np.array([[row.max_value for row in calibration.channels]]), calibration)
    assert top == pytest.approx(np.ones((1, 3)))


def test_label_free_estimate_finds_rest_and_top_of_a_mostly_resting_channel() -> None:
    rng = np.random.default_rng(2)
    envelope = rng.uniform(0, 64, (12_000, 2))
    active = rng.random(12_000) < 0.25
    envelope[active, 1] = rng.uniform(150, 600, active.sum())
    calibration = estimate_calibration(envelope)
    contracting = calibration.channels[1]
    assert abs(contracting.baseline - 32.0) < 2.0  # the median of uniform 0..64 rest
    assert contracting.rest_sd == pytest.approx(1.4826 * 16.0, rel=0.1)  # its scaled MAD
    assert 560 < contracting.max_value <= 600
    # channel 0 never contracts: not usable, and its span is not shrunk to amplify noise
    assert calibration.usable == (False, True)
    _, span = calibration.normalisation_range()
    assert span[0] >= MIN_SPAN_NOISE_FACTOR * calibration.channels[0].rest_sd
    assert span[0] >= span_floor("counts")


def test_output_is_float32_clipped_and_works_on_window_batches() -> None:
    calibration = Calibration.from_levels((10.0, 20.0), (0.0, 0.0), (110.0, 220.0))
    windows = np.array([[[10.0, 20.0], [1023.0, -500.0]]])  # (1 window, 2 rows, 2 channels)
    out = normalise(windows, calibration)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2)
    assert out[0, 0].tolist() == [0.0, 0.0]
    assert out[0, 1].tolist() == [CLIP_RANGE[1], CLIP_RANGE[0]]


def test_pooled_calibration_is_the_per_channel_median() -> None:
    people = [
        Calibration.from_levels((r, r), (s, s), (m, m))
        for r, s, m in ((20, 5, 400), (30, 6, 500), (40, 9, 800))
    ]
    pooled = pooled_calibration(people)
    assert [row.baseline for row in pooled.channels] == [30.0, 30.0]
    assert [row.max_value for row in pooled.channels] == [500.0, 500.0]
    assert [row.rest_sd for row in pooled.channels] == [6.0, 6.0]


def test_mismatched_or_flat_calibrations() -> None:
    with pytest.raises(InputError, match="as many rest levels"):
        Calibration.from_levels((1.0,), (0.0,), (2.0, 3.0))
    flat = Calibration.from_levels((5.0,), (1.0,), (5.0,))  # no contraction: kept, not usable
    assert flat.usable == (False,)
    assert normalise(np.array([[5.0 + span_floor("counts")]]), flat)[0, 0] == pytest.approx(1.0)


def test_channel_count_mismatch_is_refused() -> None:
    calibration = Calibration.from_levels((0.0, 0.0), (0.0, 0.0), (100.0, 100.0))
    with pytest.raises(InputError, match="channels"):
        normalise(np.zeros((4, 3)), calibration)
    with pytest.raises(InputError, match="same montage"):
        measure_calibration(np.zeros((4, 3)), {0: np.ones((4, 2))})
    with pytest.raises(InputError, match="NaN"):
        estimate_calibration(np.full((4, 2), np.nan))


def test_json_round_trip() -> None:
    calibration = Calibration.from_levels((20.5, 23.0), (2.5, 3.0), (540.25, 557.0))
    assert Calibration.from_json(calibration.as_json()) == calibration
    with pytest.raises(InputError, match="channels"):
        Calibration.from_json({"rest": [1]})
