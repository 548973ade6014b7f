"""A participant's calibration per channel: rest baseline and maximal contraction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelCalibration:
    """A channel's normalisation for one session: rest baseline and maximal contraction."""

    channel_index: int
    baseline: float
    rest_sd: float
    max_value: float
    valid: bool
    rest_start_index: int
    rest_stop_index: int
    mvc_start_index: int | None = None
    mvc_stop_index: int | None = None
