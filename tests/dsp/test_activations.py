"""Activation detection on filtered envelopes: hysteresis, minimum duration, timing, % MVC."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.domain.calibration import DetectionLevels
from microexp_tui.domain.expressions import Activation
from microexp_tui.dsp.activations import (
    ActivationDetector,
    ActivationSettings,
    envelope_delay_samples,
    median_last,
)
from microexp_tui.dsp.artifacts import ArtifactFlag
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.errors import InputError

RATE_HZ = 1000.0
REST = DetectionLevels(baseline=10.0, rest_sd=2.0, span=400.0)
"""on = 10 + max(6 x 2, 0.1 x 400, 40) = 50, off = 30."""


def bump(length: int, start: int, width: int, height: float, ramp: int = 10) -> np.ndarray:
    """Rest at 10 with one flat-topped bump whose half-amplitude width is `width` samples."""
    t = np.arange(length, dtype=np.float64)
    rise = np.clip((t - (start - ramp / 2)) / ramp, 0, 1)
    fall = np.clip(((start + width + ramp / 2) - t) / ramp, 0, 1)
    return 10.0 + height * (0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall)))


def detect(signal: np.ndarray, **kwargs: object) -> list[Activation]:
    """Activations of a one-channel signal fed in one piece (calibrated with REST)."""
    detector = ActivationDetector(RATE_HZ, 1, levels=[REST], **kwargs)  # type: ignore[arg-type]
    return detector.push(0, signal[:, None]) + detector.flush()


def test_half_amplitude_onset_offset_apex_and_percent_of_mvc() -> None:
    found = detect(bump(3000, 1000, 300, 200.0))
    assert len(found) == 1
    activation = found[0]
    assert abs(activation.onset_index - 1000) <= 1 and abs(activation.offset_index - 1300) <= 1
    assert activation.onset_index <= activation.apex_index < activation.offset_index
    assert activation.peak_counts == pytest.approx(210.0)
    assert activation.peak_pct_mvc == pytest.approx(50.0)  # 200 of the 400-count range


def test_without_calibration_no_percent_of_mvc_and_levels_are_learned() -> None:
    rng = np.random.default_rng(1)
    signal = bump(8000, 5000, 200, 150.0) + rng.normal(0, 2.0, 8000)
    detector = ActivationDetector(RATE_HZ, 1)
    found = detector.push(0, signal[:, None]) + detector.flush()
    assert [a.peak_pct_mvc for a in found] == [None]
    assert abs(found[0].onset_index - 5000) <= 3


def test_minimum_duration_drops_short_bursts_and_keeps_longer_ones() -> None:
    signal = bump(4000, 500, 25, 200.0, ramp=4) + bump(4000, 2500, 60, 200.0, ramp=4) - 10
    found = detect(signal)
    assert [round((a.offset_index - a.onset_index) / 10) for a in found] == [6]
    found = detect(signal, settings=ActivationSettings(min_duration_ms=20))
    assert len(found) == 2


def test_hysteresis_keeps_one_activation_through_a_dip_above_off() -> None:
    signal = np.full(3000, 10.0)
    signal[1000:1200] = 150.0
    signal[1200:1260] = 35.0  # below on (50), above off (30): still the same activation
    signal[1260:1400] = 150.0
    assert len(detect(signal)) == 1
    signal[1200:1260] = 25.0  # below off: two activations
    assert len(detect(signal)) == 2


def test_a_run_above_off_that_never_reaches_on_is_not_an_activation() -> None:
    signal = np.full(3000, 10.0)
    signal[1000:1500] = 45.0
    assert detect(signal) == []


def test_timing_moves_back_by_the_filter_delay() -> None:
    signal = bump(3000, 1000, 300, 200.0)
    plain, delayed = detect(signal)[0], detect(signal, delay_samples=34)[0]
    assert delayed.onset_index == plain.onset_index - 34
    assert delayed.offset_index == plain.offset_index - 34
    settings_ = FilterSettings(sample_rate_hz=1000.0)
    assert 25 <= envelope_delay_samples(settings_, "envelope") <= 45
    assert envelope_delay_samples(settings_, "raw") >= envelope_delay_samples(settings_, "envelope")


def test_artifacts_reject_activations_on_their_channel_and_motion_anywhere() -> None:
    signal = np.stack([bump(3000, 1000, 300, 200.0), bump(3000, 1000, 300, 200.0)], axis=1)
    flags = np.zeros(signal.shape, dtype=np.uint8)
    flags[1100:1110, 0] = ArtifactFlag.CLIPPING
    detector = ActivationDetector(RATE_HZ, 2, levels=[REST, REST])
    found = detector.push(0, signal, flags) + detector.flush()
    assert [a.channel_index for a in found] == [1]
    flags[1100:1110, 0] = ArtifactFlag.MOTION
    detector = ActivationDetector(RATE_HZ, 2, levels=[REST, REST])
    assert detector.push(0, signal, flags) + detector.flush() == []


def test_overlong_runs_are_not_activations() -> None:
    signal = np.full(20_000, 10.0)
    signal[1000:15_000] = 200.0
    assert detect(signal, settings=ActivationSettings(max_duration_s=10.0)) == []
    assert len(detect(signal, settings=ActivationSettings(max_duration_s=20.0))) == 1


def test_lost_samples_drop_the_open_run_and_detection_resumes() -> None:
    signal = bump(6000, 1000, 300, 200.0) + bump(6000, 4000, 300, 200.0) - 10
    detector = ActivationDetector(RATE_HZ, 1, levels=[REST])
    found = detector.push(0, signal[:1100, None])
    found += detector.push(1500, signal[1500:, None])  # 400 samples lost mid-activation
    found += detector.flush()
    assert [abs(a.onset_index - 4000) <= 1 for a in found] == [True]


def test_settings_and_shapes_are_checked() -> None:
    with pytest.raises(InputError, match="off_fraction"):
        ActivationSettings(off_fraction=1.5)
    with pytest.raises(InputError, match="calibration has 1 channels"):
        ActivationDetector(RATE_HZ, 2, levels=[REST])
    with pytest.raises(InputError, match="shaped"):
        ActivationDetector(RATE_HZ, 2).push(0, np.zeros((10, 3)))


def _noisy_scene(seed: int) -> np.ndarray:
    """Three channels of noisy rest with micro and macro bumps, some overlapping."""
    rng = np.random.default_rng(seed)
    n = 12_000
    signal = np.stack(
        [bump(n, 2000, 60, 150.0), bump(n, 2010, 400, 120.0), bump(n, 7000, 2500, 200.0)], axis=1
    )
    signal[:, 0] += bump(n, 9000, 250, 90.0) - 10
    signal += np.abs(rng.normal(0.0, 3.0, signal.shape))
    return signal


SCENE = _noisy_scene(7)


def _in_chunks(sizes: list[int], levels: list[DetectionLevels | None] | None) -> list[Activation]:
    """Activations of SCENE fed in chunks of the given sizes (cycled)."""
    detector = ActivationDetector(RATE_HZ, 3, levels=levels, delay_samples=[3, 5, 0])
    found: list[Activation] = []
    position, k = 0, 0
    while position < SCENE.shape[0]:
        size = sizes[k % len(sizes)]
        found += detector.push(position, SCENE[position : position + size])
        position, k = position + size, k + 1
    return sorted(found + detector.flush(), key=lambda a: (a.onset_index, a.channel_index))


WHOLE = {
    "calibrated": _in_chunks([SCENE.shape[0]], [REST, REST, None]),
    "adaptive": _in_chunks([SCENE.shape[0]], None),
}


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=1500), min_size=1, max_size=6),
    mode=st.sampled_from(sorted(WHOLE)),
)
def test_results_are_identical_for_any_chunking(sizes: list[int], mode: str) -> None:
    levels: list[DetectionLevels | None] | None = (
        [REST, REST, None] if mode == "calibrated" else None
    )
    assert len(WHOLE[mode]) >= 4
    assert _in_chunks(sizes, levels) == WHOLE[mode]


def test_a_block_with_only_a_sliver_of_samples_keeps_the_learned_levels() -> None:
    import warnings

    rng = np.random.default_rng(4)
    detector = ActivationDetector(RATE_HZ, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NaN level used to come with "Mean of empty slice"
        detector.push(0, (20 + rng.normal(0, 2.0, 5000))[:, None])
        detector.push(5001, np.array([[20.0]]))  # one sample after a lost one, then the board goes
        after = 20 + rng.normal(0, 2.0, 6000) + bump(6000, 2000, 300, 150.0)
        found = detector.push(7000, after[:, None]) + detector.flush()
    assert [abs(a.onset_index - 9000) <= 5 for a in found] == [True]


def _long_scene() -> tuple[np.ndarray, np.ndarray]:
    """75 s of three channels: rest whose level drifts, bursts every few seconds, flags."""
    rng = np.random.default_rng(11)
    n = 75_000
    drift = np.linspace(0.0, 10.0, n)[:, None]
    signal = 20 + drift + np.abs(rng.normal(0.0, 3.0, (n, 3)))
    for k, start in enumerate(range(4_000, n - 3_000, 2_700)):
        width = (60, 400, 1_800)[k % 3]
        signal[:, k % 3] += bump(n, start, width, 100.0 + 10 * (k % 5)) - 10.0
    flags = np.zeros((n, 3), np.uint8)
    flags[30_100:30_300, 1] = ArtifactFlag.CLIPPING
    flags[51_000:51_400, 0] = ArtifactFlag.MOTION
    return signal, flags


def _pieces(sizes: list[int], levels: list[DetectionLevels | None] | None) -> list[Activation]:
    """Activations of the long scene in pieces of these sizes (cycled), 2 s lost at 40 s."""
    signal, flags = _long_scene()
    detector = ActivationDetector(RATE_HZ, 3, levels=levels, delay_samples=[3, 5, 0])
    found: list[Activation] = []
    position, k = 0, 0
    while position < signal.shape[0]:
        stop = min(position + sizes[k % len(sizes)], signal.shape[0])
        for lo, hi in ((position, min(stop, 40_000)), (max(position, 42_000), stop)):
            if lo < hi:  # rows [40000, 42000) are lost in transit
                found += detector.push(lo, signal[lo:hi], flags[lo:hi])
        position, k = stop, k + 1
    return sorted(found + detector.flush(), key=lambda a: (a.onset_index, a.channel_index))


LONG_REST = DetectionLevels(baseline=25.0, rest_sd=3.0, span=400.0)
"""The long scene's rest: on = 25 + max(6 x 3, 0.1 x 400, 40) = 65, off = 45."""


@pytest.mark.parametrize(
    "levels", [None, [LONG_REST, None, LONG_REST]], ids=["adaptive", "calibrated"]
)
@pytest.mark.parametrize("sizes", [[75_000], [60_000], [2_000, 7_300, 999], [30_500, 2_000]])
def test_whole_level_blocks_at_once_equal_small_live_blocks(
    sizes: list[int], levels: list[DetectionLevels | None] | None
) -> None:
    """Pieces of two or more whole level blocks take the batched path (the level history
    full after 30 blocks); live-sized blocks never do; both find the same activations."""
    live = _pieces([100], levels)
    assert len(live) >= 15 and len({a.channel_index for a in live}) == 3
    assert _pieces(sizes, levels) == live


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 40)),
    seed=st.integers(0, 2**16),
    ties=st.booleans(),
    nan=st.booleans(),
)
def test_median_last_gives_numpys_medians(
    shape: tuple[int, int, int], seed: int, ties: bool, nan: bool
) -> None:
    """Odd and even lengths, repeated values, NaN (numpy's NaN rule applies)."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 5.0, shape)
    if ties:
        values = np.round(values)
    if nan:
        values[0, 0, 0] = np.nan
    assert np.array_equal(median_last(values), np.median(values, axis=-1), equal_nan=True)
