"""Faults injected on demand: flat electrodes, clipping, corrupt bytes, lost frames, unplugging,
a jump of the legacy sketch's millis, and a movement (a fast bump on several channels at a
scripted time, where `[signal] motion_artifacts_per_min` places them at random).

Fault times are seconds of sample time since START (for the legacy sketch, since it began
printing); channels are 0-based here (users write them 1-based, like the seed data's s1..s8).
`millis_jump` acts only on the legacy sketch: from its start on, the millis printed run
DURATION_S seconds ahead (a clock the host's elapsed time cannot explain).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.device.protocol import HEADER_BYTES, MAX_CHANNELS
from microexp_tui.errors import InputError
from microexp_tui.simulator.signals import ADC_MAX_COUNTS

FAULT_KINDS = (
    "electrode_off",
    "clipping",
    "corrupt",
    "drop",
    "disconnect",
    "millis_jump",
    "motion",
)
DEFAULT_DURATION_S = {
    "electrode_off": 2.0,
    "clipping": 1.0,
    "corrupt": 0.5,
    "drop": 0.2,
    "disconnect": 1.0,
    "millis_jump": 3600.0,
    "motion": 0.08,
}
MOTION_FAULT_COUNTS = 400.0
"""Height of a `motion` fault's bump (the random artifacts' range is 150..450 counts)."""
CORRUPT_BURST_INTERVAL_S = 0.05
CORRUPT_BURST_BYTES = (4, 32)
FLAT_COUNTS = {"envelope": 0, "raw": 512}
"""Value of a flat line (electrode off): an envelope reads 0, a raw channel sits mid-rail."""
_TAG_CORRUPT = 21


@dataclass(frozen=True)
class Fault:
    """One fault: its kind, when it starts, how long it lasts and the channels it hits."""

    kind: str
    start_s: float
    duration_s: float
    channels: tuple[int, ...] | None = None
    """0-based channels; None means every channel."""

    def index_window(self, rate_hz: float) -> tuple[int, int]:
        """Sample indices [start, stop) the fault covers at a sample rate."""
        start = round(self.start_s * rate_hz)
        return start, start + max(1, round(self.duration_s * rate_hz))


def parse_channels(text: str) -> tuple[int, ...]:
    """0-based channels from a 1-based list such as `1,3-5`; raises ValueError."""
    channels: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= MAX_CHANNELS:
            raise ValueError(f"channel range {part.strip()!r} is outside 1..{MAX_CHANNELS}")
        channels.update(range(first - 1, last))
    return tuple(sorted(channels))


def parse_fault_spec(text: str) -> Fault:
    """A fault from the CLI syntax KIND@START_S[:DURATION_S][:CHANNELS]; raises InputError."""
    kind, at, rest = text.partition("@")
    kind = kind.strip()
    if kind not in FAULT_KINDS or not at:
        raise InputError(
            f"--fault {text!r}: expected KIND@START_S[:DURATION_S][:CHANNELS] with KIND one "
            f"of {', '.join(FAULT_KINDS)}, e.g. electrode_off@5:2:1,3"
        )
    parts = rest.split(":")
    if len(parts) > 3:
        raise InputError(f"--fault {text!r}: too many ':'-separated fields (at most 3)")
    try:
        start_s = float(parts[0])
        duration_s = float(parts[1]) if len(parts) > 1 and parts[1] else DEFAULT_DURATION_S[kind]
        channels = parse_channels(parts[2]) if len(parts) > 2 and parts[2] else None
    except ValueError as err:
        raise InputError(f"--fault {text!r}: {err}") from err
    if not (math.isfinite(start_s) and math.isfinite(duration_s)):
        raise InputError(
            f"--fault {text!r}: START_S and DURATION_S must be finite numbers of seconds "
            "(not nan or inf), e.g. drop@5:0.2"
        )
    if start_s < 0 or duration_s <= 0:
        raise InputError(f"--fault {text!r}: START_S must be >= 0 and DURATION_S > 0")
    return Fault(kind, start_s, duration_s, channels)


def apply_level_faults(
    counts: npt.NDArray[np.uint16],
    first_index: int,
    rate_hz: float,
    faults: Sequence[Fault],
    mode: str,
) -> None:
    """Overwrite, in place, the samples hit by electrode_off (flat) and clipping (1023), and add
    a motion fault's bump (a raised cosine of MOTION_FAULT_COUNTS over its duration)."""
    n_samples, n_channels = counts.shape
    for fault in faults:
        if fault.kind not in ("electrode_off", "clipping", "motion"):
            continue
        start, stop = fault.index_window(rate_hz)
        rows = slice(max(start - first_index, 0), max(min(stop - first_index, n_samples), 0))
        channels = [c for c in fault.channels or range(n_channels) if c < n_channels]
        if fault.kind == "motion":
            index = np.arange(first_index + rows.start, first_index + rows.stop)
            bump = MOTION_FAULT_COUNTS * (
                0.5 - 0.5 * np.cos(2 * np.pi * (index - start) / (stop - start))
            )
            moved = counts[rows, channels].astype(np.float64) + bump[:, np.newaxis]
            counts[rows, channels] = np.clip(np.rint(moved), 0, ADC_MAX_COUNTS).astype(counts.dtype)
            continue
        value = ADC_MAX_COUNTS if fault.kind == "clipping" else FLAT_COUNTS[mode]
        counts[rows, channels] = value


def kept_runs(
    first_index: int, n_samples: int, rate_hz: float, faults: Sequence[Fault]
) -> list[tuple[int, int]]:
    """[start, stop) offsets of the samples not lost to a `drop` fault."""
    kept = np.ones(n_samples, dtype=bool)
    for fault in faults:
        if fault.kind == "drop":
            start, stop = fault.index_window(rate_hz)
            kept[max(start - first_index, 0) : max(min(stop - first_index, n_samples), 0)] = False
    edges = np.flatnonzero(np.diff(np.concatenate(([0], kept.view(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def corrupt_frames(
    data: bytearray,
    first_index: int,
    frame_bytes: int,
    rate_hz: int,
    faults: Sequence[Fault],
    seed: int,
) -> None:
    """Overwrite bursts of random bytes (line noise) into encoded SAMPLES frames in place.

    A burst starts inside a frame after its sync bytes, so that frame fails its CRC; a
    long burst may also hit the next frame's header, which is then lost (a gap).
    """
    n_samples = len(data) // frame_bytes
    interval = max(1, round(CORRUPT_BURST_INTERVAL_S * rate_hz))
    for fault in faults:
        if fault.kind != "corrupt":
            continue
        start, stop = fault.index_window(rate_hz)
        first_burst = max(start, first_index + (start - first_index) % interval)
        for index in range(first_burst, min(stop, first_index + n_samples), interval):
            rng = np.random.default_rng([seed, _TAG_CORRUPT, index])
            length = int(rng.integers(CORRUPT_BURST_BYTES[0], CORRUPT_BURST_BYTES[1] + 1))
            offset = (index - first_index) * frame_bytes + int(rng.integers(2, HEADER_BYTES + 1))
            noise = rng.integers(0, 256, size=length, dtype=np.uint8).tobytes()
            data[offset : offset + length] = noise[: max(len(data) - offset, 0)]
