"""Float sessions (physical units or features) as 24-bit BDF signals.

BDF holds integers: each channel's values are mapped linearly onto the full 24-bit range
over its input range (from the channel, else the session's own minimum and maximum,
rounded outward to what the header's 8-character fields hold), so a reader recovers every
value to within range / 2**24, about a float32's own precision.
"""

from __future__ import annotations

import math

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import StoredSamples
from microexp_tui.errors import InputError
from microexp_tui.export.plan import SessionPlan
from microexp_tui.store.sessions import SessionStore

BDF_DIGITAL_RANGE = (-(2**23), 2**23 - 1)
HEADER_NUMBER_CHARS = 8
"""Width of an EDF/BDF header's physical minimum and maximum fields."""
SCAN_SAMPLES = 600_000
"""Samples per channel read at a time when a channel's range comes from its data."""


def physical_ranges(plan: SessionPlan, store: SessionStore) -> list[tuple[float, float]]:
    """Each channel's (low, high) physical range: its own, else its data's (never empty)."""
    record = plan.record
    lows = np.full(len(record.channels), np.inf)
    highs = np.full(len(record.channels), -np.inf)
    if any(c.physical_min is None or c.physical_max is None for c in record.channels):
        for start in range(0, record.samples_per_channel, SCAN_SAMPLES):
            samples = store.read_samples(record.id, start, start + SCAN_SAMPLES)
            physical = physical_values(samples, record.channels)
            lows = np.fmin(lows, np.nanmin(physical, axis=0, initial=np.inf))
            highs = np.fmax(highs, np.nanmax(physical, axis=0, initial=-np.inf))
    ranges = []
    for index, spec in enumerate(record.channels):
        if spec.physical_min is not None and spec.physical_max is not None:
            low, high = spec.physical_min, spec.physical_max
        else:
            low, high = float(lows[index]), float(highs[index])
            if not np.isfinite(low):  # no value at all: any range will do
                low, high = 0.0, 1.0
            if high <= low:
                low, high = low - 1.0, high + 1.0
        ranges.append((header_number(low, up=False), header_number(high, up=True)))
    return ranges


def header_number(value: float, *, up: bool) -> float:
    """`value` rounded outward (up or down) to a number an 8-character header field holds."""
    for decimals in range(6, -1, -1):
        step = 10.0**decimals
        rounded = (math.ceil(value * step) if up else math.floor(value * step)) / step
        if len(f"{rounded:.{decimals}f}") <= HEADER_NUMBER_CHARS:
            return rounded
    raise InputError(
        f"A channel's values reach {value:g}, which an 8-character EDF/BDF header field cannot "
        "hold; export the session with --format parquet instead."
    )


def physical_values(samples: StoredSamples, channels: tuple[ChannelSpec, ...]) -> np.ndarray:
    """(samples, channels) physical values as float64, NaN where missing."""
    physical = np.empty(samples.values.shape, np.float64)
    for index, spec in enumerate(channels):
        physical[:, index] = spec.to_physical(samples.values[:, index])
    physical[samples.missing] = np.nan
    return physical


def quantised(physical: np.ndarray, ranges: list[tuple[float, float]]) -> np.ndarray:
    """Physical values as 24-bit digital ones over each channel's range (int64, NaN -> 0)."""
    low = np.array([r[0] for r in ranges])
    high = np.array([r[1] for r in ranges])
    bottom, top = BDF_DIGITAL_RANGE
    digital = np.round((physical - low) / (high - low) * (top - bottom) + bottom)
    return np.nan_to_num(digital, nan=0.0).astype(np.int64)
