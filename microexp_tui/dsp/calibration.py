"""Per-participant normalisation: rest baseline and maximal voluntary contraction per channel.

Inputs are filtered envelopes, `(samples, channels)` float arrays from the ring buffer.
A normalised value is (envelope - baseline) / (max - baseline): 0 at rest, 1 at the
participant's own maximal contraction, which is what makes people comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.dsp.activations import robust_levels

MVC_PERCENTILE = 95.0
"""The maximal contraction level is this percentile of the window (robust to one spike)."""
MIN_SPAN_COUNTS = 10.0
MIN_SPAN_SD_FACTOR = 5.0


@dataclass(frozen=True)
class ChannelNorm:
    """One channel's normalisation: rest baseline and spread, maximal contraction level."""

    baseline: float
    rest_sd: float
    max_value: float
    valid: bool
    """False when the contraction barely rose above rest (normalise with care)."""

    @property
    def span(self) -> float:
        """Range from rest to maximal contraction (never below 1 count)."""
        return max(1.0, self.max_value - self.baseline)


def rest_levels(rest: npt.NDArray[np.floating]) -> tuple[npt.NDArray, npt.NDArray]:
    """Per-channel median and robust spread (scaled MAD) of a rest window; zeros when empty."""
    levels = robust_levels(np.asarray(rest, dtype=np.float64))
    if levels is None:
        channels = rest.shape[1] if rest.ndim == 2 else 0
        return np.zeros(channels), np.zeros(channels)
    return levels


def compute_norms(
    rest: npt.NDArray[np.floating],
    contractions: Mapping[int, npt.NDArray[np.floating]],
) -> list[ChannelNorm]:
    """Normalisation of each channel from a rest window and its own contraction window."""
    baselines, spreads = rest_levels(rest)
    norms = []
    for channel in range(baselines.shape[0]):
        baseline, sd = float(baselines[channel]), float(spreads[channel])
        window = contractions.get(channel)
        if window is None or window.size == 0:
            norms.append(ChannelNorm(baseline, sd, baseline, False))
            continue
        peak = float(np.percentile(window[:, channel], MVC_PERCENTILE))
        valid = peak - baseline >= max(MIN_SPAN_COUNTS, MIN_SPAN_SD_FACTOR * sd)
        norms.append(ChannelNorm(baseline, sd, peak, bool(valid)))
    return norms


def normalise(
    values: npt.NDArray[np.floating], norms: Sequence[ChannelNorm]
) -> npt.NDArray[np.float64]:
    """Envelope values (samples, channels) as fractions of each channel's calibrated span."""
    baselines = np.array([norm.baseline for norm in norms])
    spans = np.array([norm.span for norm in norms])
    return np.clip((values - baselines) / spans, 0.0, None)
