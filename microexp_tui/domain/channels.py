"""Channels of a montage: which muscle each sample column measures, how, and in what unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SENSOR_KINDS: tuple[str, ...] = ("envelope", "raw")
"""Sensor kinds: `envelope` (Muscle Sensor V3 SIG, MyoWare ENV) and `raw` (MyoWare RAW)."""

BOARD_ADC_BITS = 10
"""Resolution of the board's ADC (the Mega 2560's 10-bit converter)."""

BOARD_ADC_VREF_MV = 5000.0
"""Reference voltage of the board's ADC in millivolts: counts 0..2**bits span 0..Vref."""

MAX_IMPORTED_CHANNELS = 256
"""Most channels an imported recording may have (a board records at most 16)."""

MV_PER_UNIT: dict[str, float] = {"V": 1000.0, "mV": 1.0, "uV": 0.001}
"""Millivolts per unit, for the voltage units a channel may be in."""


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of a session's montage (0-based `index` into the sample columns).

    A stored value becomes a physical one as `stored * scale + offset`, in `unit`. The
    defaults describe the board: 10-bit ADC counts at a 5000 mV reference, in millivolts.
    """

    index: int
    label: str
    muscle: str | None
    sensor_kind: str
    action_units: tuple[str, ...] = ()
    unit: str = "mV"
    """Unit of the physical value: "mV", "uV", "V", "counts" (uncalibrated) or a feature's."""
    scale: float = BOARD_ADC_VREF_MV / 2**BOARD_ADC_BITS
    """Physical units per stored unit (the board: 5000 mV / 1024 counts)."""
    offset: float = 0.0
    """Physical value of a stored 0."""
    physical_min: float | None = 0.0
    """Lower end of the acquisition's input range in `unit` (the board's ADC: 0 mV)."""
    physical_max: float | None = BOARD_ADC_VREF_MV
    """Upper end of the acquisition's input range in `unit` (the board's ADC: Vref).

    Both ends are None when the range is unknown (then an EDF export takes it from the data).
    """

    def to_physical(self, stored: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Stored values of this channel in its physical unit."""
        import numpy as np  # kept local: the CLI's parsers read SENSOR_KINDS without numpy

        return np.asarray(stored, dtype=np.float64) * self.scale + self.offset

    def to_stored(self, physical: float) -> float:
        """The stored value (not rounded) that a physical value of this channel corresponds to."""
        return (physical - self.offset) / self.scale


def board_channel(
    index: int,
    label: str,
    muscle: str | None,
    sensor_kind: str,
    action_units: tuple[str, ...] = (),
    *,
    adc_bits: int = BOARD_ADC_BITS,
    adc_vref_mv: float = BOARD_ADC_VREF_MV,
) -> ChannelSpec:
    """A channel of a board whose unipolar ADC of `adc_bits` bits spans 0..`adc_vref_mv` mV.

    A board that reports an implausible ADC (bits outside 1..15, no positive reference) is
    taken to have the default 10 bits and 5000 mV.
    """
    if not 1 <= adc_bits <= 15:
        adc_bits = BOARD_ADC_BITS
    if not adc_vref_mv > 0:
        adc_vref_mv = BOARD_ADC_VREF_MV
    return ChannelSpec(
        index,
        label,
        muscle,
        sensor_kind,
        action_units,
        unit="mV",
        scale=adc_vref_mv / 2**adc_bits,
        offset=0.0,
        physical_min=0.0,
        physical_max=float(adc_vref_mv),
    )
