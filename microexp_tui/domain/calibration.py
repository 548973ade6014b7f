"""A participant's calibration (rest level and noise, maximal contraction per channel) and its rule.

One rule decides whether a channel's span (maximal contraction minus rest) can be used: it must
be at least `MIN_SPAN_NOISE_FACTOR` rest noise SDs and at least the floor of the channel's unit.
The calibration screen's weak flag, activation detection's % MVC (`detection_levels`) and the
classifier's normalisation (`normalisation_range`) are all read from one `Calibration`, so they
cannot disagree about a channel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError

COUNTS = "counts"
"""The unit of every channel today: ADC counts of the filtered envelope."""
MIN_SPAN_NOISE_FACTOR = 10.0
"""A usable span is at least this many rest noise SDs. Pure noise read as a contraction (the
95th percentile of a 3 s window without one, minus the rest median) reaches at most 3.6 rest
SDs on the simulator's envelope and raw sensors through the live chain (20 seeds x 8 channels
x 6 windows); real maximal contractions are at least 17 SDs (seed data, label-free) and 42 SDs
(simulator envelope)."""
SPAN_FLOORS: Mapping[str, float] = {COUNTS: 50.0}
"""The smallest usable span per unit. For ADC counts the floor is what decides on quiet
channels, where 10 rest SDs are small: the simulator's raw sensor rests at 0.2-0.35 counts SD
(10 SDs: ~3 counts) and its envelope sensor at 6.7-11.8. Pure noise read as a contraction
spans at most 0.7 counts (raw) and 29 counts (envelope) there; the weakest real maximal
contraction spans 110 counts (simulator raw), 365 (seed data, label-free) and 489 (simulator
envelope). 50 counts is above every noise-only span of the live chain, below half the weakest
real one, and above the detector's smallest on-threshold (40 counts), so a usable maximal
contraction can always be detected. (Seed-data rows, noisier, reach 50.5 counts of noise-only
span, but their rest SD of 14.8-31.1 counts puts 10 SDs at 148 or more.)"""


def span_floor(unit: str) -> float:
    """The smallest usable span in `unit`; InputError for a unit without a floor."""
    try:
        return SPAN_FLOORS[unit]
    except KeyError:
        raise InputError(
            f"No calibration floor is defined for channels in {unit!r}; known units: "
            f"{', '.join(SPAN_FLOORS)}. Add the unit's floor to SPAN_FLOORS."
        ) from None


def minimum_usable_span(rest_sd: float, floor: float) -> float:
    """The smallest span the rule accepts for this rest noise: 10 x SD, never below the floor."""
    noise = MIN_SPAN_NOISE_FACTOR * rest_sd if math.isfinite(rest_sd) else 0.0
    return max(noise, floor)


@dataclass(frozen=True)
class ChannelCalibration:
    """One channel's calibration (a row of the `calibrations` table), in the channel's unit."""

    channel_index: int
    baseline: float
    """Rest level: median of the rest samples."""
    rest_sd: float
    """Rest noise: robust standard deviation (scaled MAD) of the rest samples."""
    max_value: float
    """Maximal contraction level."""
    valid: bool = False
    """The rule's verdict on the span; a `Calibration` sets it for every row it holds."""
    rest_start_index: int | None = None
    rest_stop_index: int | None = None
    mvc_start_index: int | None = None
    mvc_stop_index: int | None = None

    @property
    def span(self) -> float:
        """Maximal contraction minus rest (NaN when either is unknown)."""
        return self.max_value - self.baseline

    def usable(self, floor: float) -> bool:
        """The rule: a finite span of at least 10 finite rest SDs and at least `floor`."""
        if not (math.isfinite(self.span) and math.isfinite(self.rest_sd)):
            return False
        return self.span >= minimum_usable_span(self.rest_sd, floor)


@dataclass(frozen=True)
class DetectionLevels:
    """What activation detection takes from a calibration for one channel."""

    baseline: float
    rest_sd: float
    span: float | None = None
    """Maximal contraction minus rest when the rule finds it usable, else None (no % MVC)."""


@dataclass(frozen=True)
class Calibration:
    """A participant's calibration: one row per channel in channel order, and each one's unit.

    Every row's `valid` is set here from the rule with its unit's floor, so a row read back
    from an older store is judged by today's rule.
    """

    channels: tuple[ChannelCalibration, ...]
    units: tuple[str, ...] = ()
    """Each channel's unit; empty means every channel is in ADC counts."""

    def __post_init__(self) -> None:
        """Check the rows are channels 0..n-1 with known units, then judge each span."""
        rows, units = tuple(self.channels), self.units or (COUNTS,) * len(self.channels)
        if not rows or len(units) != len(rows):
            raise InputError(
                f"A calibration needs one row and one unit per channel; got {len(rows)} rows "
                f"and {len(units)} units."
            )
        order = [row.channel_index for row in rows]
        if order != list(range(len(rows))):
            raise InputError(
                f"A calibration's rows must be channels 1..{len(rows)} in order; got channels "
                f"{[index + 1 for index in order]}. Calibrate every channel of the montage again."
            )
        judged = tuple(
            replace(row, valid=row.usable(span_floor(unit)))
            for row, unit in zip(rows, units, strict=True)
        )
        object.__setattr__(self, "channels", judged)
        object.__setattr__(self, "units", tuple(units))

    @classmethod
    def from_levels(
        cls,
        baselines: Sequence[float],
        rest_sds: Sequence[float],
        max_values: Sequence[float],
        units: Sequence[str] = (),
    ) -> Calibration:
        """A calibration without sample windows from per-channel rest, noise and maximum."""
        if not len(baselines) == len(rest_sds) == len(max_values):
            raise InputError(
                f"A calibration needs as many rest levels ({len(baselines)}), rest SDs "
                f"({len(rest_sds)}) and maxima ({len(max_values)}) as it has channels."
            )
        rows = tuple(
            ChannelCalibration(index, float(rest), float(sd), float(top))
            for index, (rest, sd, top) in enumerate(
                zip(baselines, rest_sds, max_values, strict=True)
            )
        )
        return cls(rows, tuple(units))

    @property
    def count(self) -> int:
        """Number of channels calibrated."""
        return len(self.channels)

    @property
    def usable(self) -> tuple[bool, ...]:
        """Per channel, whether its span passes the rule (False: the screen's 'weak')."""
        return tuple(row.valid for row in self.channels)

    def detection_levels(self) -> tuple[DetectionLevels | None, ...]:
        """Rest level, noise and usable span per channel (None: no finite rest, learn it)."""
        return tuple(
            DetectionLevels(row.baseline, row.rest_sd, row.span if row.valid else None)
            if math.isfinite(row.baseline) and math.isfinite(row.rest_sd)
            else None
            for row in self.channels
        )

    def normalisation_range(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per-channel rest and span for `(x - rest) / span`; InputError without a finite rest.

        A channel whose span is not usable gets the smallest span the rule would accept for its
        noise (`minimum_usable_span`): its rest noise stays at most 0.1 per SD instead of being
        blown up into activity, and a weak but real contraction reads below 1.
        """
        lost = [row.channel_index + 1 for row in self.channels if not math.isfinite(row.baseline)]
        if lost:
            raise InputError(
                f"Channel(s) {', '.join(map(str, lost))} of the calibration have no rest level, "
                "so they cannot be normalised. Calibrate again with the participant relaxed."
            )
        rest = np.array([row.baseline for row in self.channels], dtype=np.float64)
        span = np.array(
            [
                row.span if row.valid else minimum_usable_span(row.rest_sd, span_floor(unit))
                for row, unit in zip(self.channels, self.units, strict=True)
            ],
            dtype=np.float64,
        )
        return rest, span

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        """JSON form (values rounded to 0.01) for model cards."""
        return {
            "channels": [
                {
                    "channel_index": row.channel_index,
                    "unit": unit,
                    "baseline": round(row.baseline, 2),
                    "rest_sd": round(row.rest_sd, 2),
                    "max_value": round(row.max_value, 2),
                }
                for row, unit in zip(self.channels, self.units, strict=True)
            ]
        }

    @classmethod
    def from_json(cls, data: Any) -> Calibration:
        """Read the `as_json` form; InputError naming what is missing, extra or malformed."""
        if not isinstance(data, dict) or set(data) != {"channels"}:
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise InputError(f"A calibration must be {{'channels': [...]}}; got {keys}.")
        if not isinstance(data["channels"], list):
            raise InputError("A calibration's 'channels' must be a list of channel objects.")
        read = [_channel_from_json(n, item) for n, item in enumerate(data["channels"], start=1)]
        return cls(tuple(row for row, _ in read), tuple(unit for _, unit in read))


_JSON_FIELDS = ("channel_index", "unit", "baseline", "rest_sd", "max_value")


def _channel_from_json(number: int, item: Any) -> tuple[ChannelCalibration, str]:
    """One channel object of the JSON form and its unit; InputError naming the channel."""
    if not isinstance(item, dict) or set(item) != set(_JSON_FIELDS):
        keys = sorted(item) if isinstance(item, dict) else type(item).__name__
        raise InputError(
            f"Calibration channel {number} must have exactly the fields "
            f"{', '.join(_JSON_FIELDS)}; got {keys}."
        )
    index = item["channel_index"]
    try:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"channel_index {index!r} is not an integer")
        baseline, rest_sd, top = (_finite(item[k]) for k in ("baseline", "rest_sd", "max_value"))
    except ValueError as err:
        raise InputError(f"Calibration channel {number}: {err}.") from err
    return ChannelCalibration(index, baseline, rest_sd, top), str(item["unit"])


def _finite(value: Any) -> float:
    """A JSON number as a finite float; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return float(value)


def pooled_calibration(calibrations: Sequence[Calibration]) -> Calibration:
    """Per-channel median of several participants' calibrations: a population default."""
    if not calibrations:
        raise InputError("Cannot pool an empty list of calibrations.")
    units = calibrations[0].units
    if any(c.units != units for c in calibrations):
        raise InputError(
            "Cannot pool calibrations of different montages (channel counts or units differ); "
            "pool participants recorded with the same montage."
        )
    fields = np.array(
        [[(r.baseline, r.rest_sd, r.max_value) for r in c.channels] for c in calibrations]
    )
    baselines, rest_sds, max_values = np.median(fields, axis=0).T
    return Calibration.from_levels(
        baselines.tolist(), rest_sds.tolist(), max_values.tolist(), units
    )
