"""Measuring a calibration from envelopes: rest and maximal-contraction windows, or label-free.

Inputs are filtered envelopes, `(samples, channels)` float arrays in the channels' units. Both
ways give the domain's `Calibration` with the same rest statistics (median and scaled MAD of
rest samples), so the calibration screen, detection, training and evaluation judge and
normalise a channel alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import Calibration, ChannelCalibration
from microexp_tui.dsp.activations import robust_levels
from microexp_tui.errors import InputError

FloatArray = npt.NDArray[np.float64]
SampleWindow = tuple[int, int]
"""Session sample indices [start, stop) a calibration step covered."""

MVC_PERCENTILE = 95.0
"""A guided maximal contraction's level: this percentile of its window (robust to one spike)."""
MAX_QUANTILE = 0.99
"""Label-free maximal contraction: the top 1% of the channel's envelope."""
REST_QUANTILE = 0.25
"""Label-free: a channel rests most of the time (75-88% of each seed participant's rows,
~90% of a stimulus session), so its lower quartile lies inside its resting level."""
REST_CUT_FRACTION = 0.25
"""Label-free rest samples: those below this fraction of the way from the lower quartile to
the top 1%. On the seed data (labels used only to check) their median is within 1 count of
the labelled rest median and their scaled MAD within 11% of the labelled rest SD."""


def rest_levels(rest: npt.NDArray[np.floating]) -> tuple[FloatArray, FloatArray]:
    """Per-channel median and robust spread (scaled MAD) of a rest window; zeros when empty."""
    levels = robust_levels(np.asarray(rest, dtype=np.float64))
    if levels is None:
        channels = rest.shape[1] if rest.ndim == 2 else 0
        return np.zeros(channels), np.zeros(channels)
    return levels


def measure_calibration(
    rest: npt.NDArray[np.floating],
    contractions: Mapping[int, npt.NDArray[np.floating]],
    *,
    rest_window: SampleWindow | None = None,
    contraction_windows: Mapping[int, SampleWindow] | None = None,
    units: Sequence[str] = (),
) -> Calibration:
    """Calibration from a rest window and each muscle's own maximal-contraction window.

    A channel without a contraction window keeps its rest level as maximum (span 0: weak).
    """
    relaxed = np.asarray(rest, dtype=np.float64)
    if relaxed.ndim != 2 or relaxed.shape[0] == 0:
        raise InputError(
            "No rest samples were captured for the calibration (the board may have been "
            "lost during the rest step). Run the calibration again."
        )
    mismatched = sorted(
        channel + 1
        for channel, window in contractions.items()
        if window.ndim != 2 or window.shape[1] != relaxed.shape[1]
    )
    if mismatched:
        raise InputError(
            f"The contraction windows of channels {mismatched} do not have the rest window's "
            f"{relaxed.shape[1]} channels; record rest and contractions with the same montage."
        )
    baselines, spreads = rest_levels(relaxed)
    windows = contraction_windows or {}
    rows = []
    for channel in range(relaxed.shape[1]):
        baseline, window = float(baselines[channel]), contractions.get(channel)
        peak = baseline
        if window is not None and window.size:
            peak = float(np.percentile(window[:, channel], MVC_PERCENTILE))
        mvc = windows.get(channel, (None, None))
        rows.append(
            ChannelCalibration(
                channel,
                baseline,
                float(spreads[channel]),
                peak,
                rest_start_index=rest_window[0] if rest_window else None,
                rest_stop_index=rest_window[1] if rest_window else None,
                mvc_start_index=mvc[0],
                mvc_stop_index=mvc[1],
            )
        )
    return Calibration(tuple(rows), tuple(units))


def estimate_calibration(
    envelope: npt.NDArray[np.floating], units: Sequence[str] = ()
) -> Calibration:
    """Label-free calibration of one participant from any stretch of their envelope.

    max = the MAX_QUANTILE of each channel; the rest samples are those below REST_CUT_FRACTION
    of the way from the REST_QUANTILE to that max, and give rest level and noise as a rest
    window does. It uses no labels, so a held-out participant may be calibrated from their own
    unlabelled data without leaking the answer.
    """
    array = np.asarray(envelope, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"The envelope to calibrate from must be a non-empty (samples, channels) array, "
            f"got {array.shape}."
        )
    if not np.isfinite(array).all():
        raise InputError(
            "The envelope to calibrate from holds NaN or infinite values; drop the lost "
            "samples first."
        )
    low, top = np.quantile(array, [REST_QUANTILE, MAX_QUANTILE], axis=0)
    cut = low + REST_CUT_FRACTION * (top - low)
    baselines, spreads = [], []
    for channel in range(array.shape[1]):
        column = array[:, channel]
        baseline, spread = rest_levels(column[column <= cut[channel]][:, None])
        baselines.append(float(baseline[0]))
        spreads.append(float(spread[0]))
    return Calibration.from_levels(baselines, spreads, top.tolist(), tuple(units))
