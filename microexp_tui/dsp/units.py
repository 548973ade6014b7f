"""The values filters and detectors work in: a board's ADC counts, or an import's physical units.

A board session is filtered in the ADC counts it stores (its thresholds were measured in
counts: `MIN_ON_COUNTS`, the raw sensor's Vref/2 offset). An imported session is filtered in
each channel's physical unit (`stored * scale + offset`: uV, mV, V or a feature's unit), so
its envelopes, activation peaks and report tables are in the unit of the file it came from,
and no threshold of the activation rule is a fixed number of anything: the on-threshold is
relative to the channel's rest noise and calibration, never below one step of its resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import COUNTS
from microexp_tui.domain.channels import MV_PER_UNIT, ChannelSpec
from microexp_tui.dsp.activations import MIN_ON_COUNTS
from microexp_tui.dsp.filters import ADC_MIDPOINT_COUNTS, FilterSettings, StreamingFilterBank

FLOAT_FLOOR_MV = 1e-6
"""Smallest on-threshold rise of a float-stored voltage channel (no ADC step): 1 nV, far below
any EMG noise, so the channel's own noise decides. A float-stored channel in another unit (a
feature) has no scale to judge by: its floor is the smallest positive float32."""


@dataclass(frozen=True)
class WorkingUnits:
    """Per channel: how stored values become working values, their unit and the rule's floor."""

    units: tuple[str, ...]
    scale: npt.NDArray[np.float64]
    """Working value per stored unit (1 for counts)."""
    offset: npt.NDArray[np.float64]
    """Working value of a stored 0."""
    raw_offset: npt.NDArray[np.float64]
    """Subtracted from raw channels before their band-pass (keeps float32 filters exact)."""
    min_on: npt.NDArray[np.float64]
    """Smallest on-threshold rise above rest of the activation rule, in the working unit."""

    @property
    def in_counts(self) -> bool:
        """Whether every channel works in ADC counts (a board session)."""
        return all(unit == COUNTS for unit in self.units)

    @property
    def description(self) -> str:
        """The units as filter descriptions name them ("ADC counts", "uV", "mV/uV")."""
        return "ADC counts" if self.in_counts else "/".join(sorted(set(self.units)))

    def filter_bank(
        self, sensor_kinds: Sequence[str], settings: FilterSettings
    ) -> StreamingFilterBank:
        """The streaming filter bank for values in these units (raw offsets, named unit)."""
        return StreamingFilterBank(
            sensor_kinds, settings, raw_offsets=self.raw_offset.tolist(), unit=self.description
        )

    def convert(self, stored: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """`(samples, channels)` stored values as float32 working values."""
        values = np.asarray(stored)
        if self.in_counts:
            return values.astype(np.float32, copy=False)
        return (values * self.scale + self.offset).astype(np.float32)

    @classmethod
    def board(cls, channels: int) -> WorkingUnits:
        """A board session's channels: ADC counts, raw offset 512, 40-count floor."""
        return cls(
            (COUNTS,) * channels,
            np.ones(channels),
            np.zeros(channels),
            np.full(channels, ADC_MIDPOINT_COUNTS),
            np.full(channels, MIN_ON_COUNTS),
        )

    @classmethod
    def physical(cls, channels: Sequence[ChannelSpec], sample_format: str) -> WorkingUnits:
        """Channels in their physical units; the floor is one stored step (integer formats),
        else 1 nV (voltages) or the smallest positive float32 (other units)."""
        scale = np.array([spec.scale for spec in channels], dtype=np.float64)
        floors = [
            abs(spec.scale) if sample_format != "float32" else _float_floor(spec.unit)
            for spec in channels
        ]
        return cls(
            tuple(spec.unit for spec in channels),
            scale,
            np.array([spec.offset for spec in channels], dtype=np.float64),
            np.array([_range_midpoint(spec) for spec in channels], dtype=np.float64),
            np.maximum(np.array(floors, dtype=np.float64), float(np.finfo(np.float32).tiny)),
        )

    @classmethod
    def of_session(
        cls, channels: Sequence[ChannelSpec], source: str, sample_format: str
    ) -> WorkingUnits:
        """Counts for a board session, physical units for an imported one."""
        if source == "board":
            return cls.board(len(channels))
        return cls.physical(channels, sample_format)


def _float_floor(unit: str) -> float:
    """The on-threshold floor of a float-stored channel in `unit` (see FLOAT_FLOOR_MV)."""
    if unit in MV_PER_UNIT:
        return FLOAT_FLOOR_MV / MV_PER_UNIT[unit]
    return float(np.finfo(np.float32).tiny)


def _range_midpoint(spec: ChannelSpec) -> float:
    """Middle of a channel's input range (a unipolar sensor's rest), 0 when it is unknown."""
    if spec.physical_min is None or spec.physical_max is None:
        return 0.0
    return 0.5 * (spec.physical_min + spec.physical_max)
