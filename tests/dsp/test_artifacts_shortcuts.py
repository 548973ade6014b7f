"""The artifact detector's shortcuts only skip work: their bounds hold against the full filters."""

import numpy as np

from microexp_tui.dsp.artifacts import (
    ArtifactFlag,
    StreamingArtifactDetector,
    _causal_peak_to_peak,
    _every_window_moves,
    _peak_to_peak_bound,
)


def _signal(seed: int) -> np.ndarray:
    """Random-walk counts with a flat stretch and a jump, 8 channels."""
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.integers(-2, 3, size=(3000, 8)), axis=0).astype(np.int32) + 500
    values[1000:1400, 2] = values[1000, 2]
    values[2000:2010, :4] += 300
    return values


def test_peak_to_peak_bound_is_never_below_the_peak_to_peak() -> None:
    """The segment bound the motion check skips with is an upper bound of every window's spread."""
    for seed in range(5):
        values = _signal(seed)
        for window in (2, 20, 33):
            exact = _causal_peak_to_peak(values, window, window - 1)
            bound = _peak_to_peak_bound(values, window, window - 1)
            assert bound.shape == exact.shape
            assert (bound >= exact).all()


def test_every_window_moves_only_when_no_window_is_flat() -> None:
    """The flat-line shortcut says 'no window flat' only when the full filter agrees."""
    values = _signal(1)
    exact = _causal_peak_to_peak(values, 250, 249)
    assert not _every_window_moves(values, 250, 1)  # the flat stretch is found
    assert (exact <= 1).any()
    moving = values.copy()
    moving[1000:1400, 2] += np.arange(400, dtype=np.int32) % 5 * 2
    assert _every_window_moves(moving, 250, 1)
    assert (_causal_peak_to_peak(moving, 250, 249) > 1).all()


def test_values_with_nan_take_the_full_filters() -> None:
    """A float block with NaN is flagged as without the shortcuts (the bound cannot judge it)."""
    values = np.full((3000, 8), 500.0)
    values[1001:1007, :3] += 300.0  # a motion-sized jump on three channels ...
    values[1003, :3] = np.nan  # ... in the same 20 ms segment as a NaN
    detector = StreamingArtifactDetector(1000.0, 8, motion_min_channels=3)
    flags = detector.process(values)
    window = detector.motion_window_samples
    history = detector._history_samples
    extended = np.concatenate([np.repeat(values[:1], history, axis=0), values])
    spread = _causal_peak_to_peak(extended[history - (window - 1) :], window, window - 1)
    deflecting = spread >= detector.motion_min_deflection_counts
    together = deflecting.sum(axis=1, keepdims=True) >= detector.motion_min_channels
    expected = deflecting & together
    assert expected.any()
    assert np.array_equal((flags & ArtifactFlag.MOTION) != 0, expected)
