"""The shared per-participant normalisation: rest maps to 0, maximal contraction to 1."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.errors import InputError
from microexp_tui.inference.normalisation import (
    CLIP_RANGE,
    MIN_RANGE_COUNTS,
    Calibration,
    calibration_from_segments,
    estimate_calibration,
    normalise,
    pooled_calibration,
)


def test_rest_and_contraction_segments_map_to_zero_and_one() -> None:
    rng = np.random.default_rng(1)
    rest = 30.0 + rng.normal(0, 3, (2000, 3))
    strongest = np.array([400.0, 500.0, 600.0]) + rng.normal(0, 5, (2000, 3))
    calibration = calibration_from_segments(rest, strongest)
    assert np.allclose(calibration.rest_counts, 30.0, atol=0.5)
    assert normalise(rest, calibration).mean(axis=0) == pytest.approx([0, 0, 0], abs=0.01)
    top = normalise(np.array([calibration.max_counts]), calibration)
    assert top == pytest.approx(np.ones((1, 3)))


def test_label_free_estimate_finds_rest_and_top_of_a_mostly_resting_channel() -> None:
    rng = np.random.default_rng(2)
    envelope = rng.uniform(0, 64, (12_000, 2))
    active = rng.random(12_000) < 0.25
    envelope[active, 1] = rng.uniform(150, 600, active.sum())
    calibration = estimate_calibration(envelope)
    assert 10 < calibration.rest_counts[1] < 32
    assert 560 < calibration.max_counts[1] <= 600
    # channel 0 never contracts: it keeps the minimum range instead of amplifying noise
    assert calibration.max_counts[0] - calibration.rest_counts[0] >= MIN_RANGE_COUNTS


def test_output_is_float32_clipped_and_works_on_window_batches() -> None:
    calibration = Calibration((10.0, 20.0), (110.0, 220.0))
    windows = np.array([[[10.0, 20.0], [1023.0, -500.0]]])  # (1 window, 2 rows, 2 channels)
    out = normalise(windows, calibration)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2)
    assert out[0, 0].tolist() == [0.0, 0.0]
    assert out[0, 1].tolist() == [CLIP_RANGE[1], CLIP_RANGE[0]]


def test_pooled_calibration_is_the_per_channel_median() -> None:
    people = [Calibration((r, r), (m, m)) for r, m in ((20, 400), (30, 500), (40, 800))]
    pooled = pooled_calibration(people)
    assert pooled.rest_counts == (30.0, 30.0) and pooled.max_counts == (500.0, 500.0)


@pytest.mark.parametrize(
    ("rest", "top", "message"),
    [((1.0,), (2.0, 3.0), "one rest and one max"), ((5.0,), (5.0,), "above its rest")],
)
def test_invalid_calibrations_are_refused(
    rest: tuple[float, ...], top: tuple[float, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        Calibration(rest, top)


def test_channel_count_mismatch_is_refused() -> None:
    with pytest.raises(InputError, match="channels"):
        normalise(np.zeros((4, 3)), Calibration((0.0, 0.0), (100.0, 100.0)))
    with pytest.raises(InputError, match="same montage"):
        calibration_from_segments(np.zeros((4, 3)), np.ones((4, 2)))
    with pytest.raises(InputError, match="NaN"):
        estimate_calibration(np.full((4, 2), np.nan))


def test_json_round_trip() -> None:
    calibration = Calibration((20.5, 23.0), (540.25, 557.0))
    assert Calibration.from_json(calibration.as_json()) == calibration
    with pytest.raises(InputError, match="rest_counts"):
        Calibration.from_json({"rest": [1]})
