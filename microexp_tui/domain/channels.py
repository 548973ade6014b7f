"""Channels of a montage: which muscle each sample column measures, and how."""

from __future__ import annotations

from dataclasses import dataclass

SENSOR_KINDS: tuple[str, ...] = ("envelope", "raw")
"""Sensor kinds: `envelope` (Muscle Sensor V3 SIG, MyoWare ENV) and `raw` (MyoWare RAW)."""


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of a session's montage (0-based `index` into the sample columns)."""

    index: int
    label: str
    muscle: str | None
    sensor_kind: str
    action_units: tuple[str, ...] = ()
