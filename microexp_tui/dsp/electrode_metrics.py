"""Electrode-check quality: rest metrics on raw counts and guided contractions on envelopes.

Arrays are `(samples, channels)`. Rest metrics use raw ADC counts as stored (noise level,
mains interference, clipping, flat line); guided contractions use the filtered envelope
of the ring buffer and must lift the expected channel clearly above its rest level.
Each channel gets green (good), amber (usable, look at it) or red (fix it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.channels import ChannelSpec

GRADE_ORDER = ("green", "amber", "red")
ADC_MAX_COUNTS = 1023
RAIL_MARGIN_COUNTS = 3
FLAT_PEAK_TO_PEAK_COUNTS = 2.0
"""A rest window varying by less than this is a flat line: electrode off or sensor unpowered."""
NOISE_LIMITS_COUNTS = {"envelope": (40.0, 80.0), "raw": (15.0, 40.0)}
"""(amber, red) limits of the rest noise: envelope standard deviation, raw RMS without mains."""
REST_LEVEL_LIMITS_COUNTS = {"envelope": (150.0, 400.0), "raw": (100.0, 250.0)}
"""(amber, red) limits of the rest level: envelope median, raw offset from mid-rail."""
MAINS_LIMITS = (0.5, 0.8)
"""(amber, red) limits of the share of rest signal power at the mains frequency and harmonics."""
CLIPPING_LIMITS = (0.001, 0.01)
"""(amber, red) limits of the share of rest samples at an ADC rail."""
MIN_RISE_COUNTS = {"envelope": 30.0, "raw": 10.0}
"""A guided contraction must lift the envelope by at least this much above rest."""
RISE_SD_FACTOR = 5.0
"""...and by at least this many rest standard deviations."""
MAINS_BAND_HZ = 1.0

PROMPTS: dict[str, str] = {
    "Zygomaticus major": "Smile broadly",
    "Frontalis": "Raise your eyebrows",
    "Levator labii superioris alaeque nasi": "Wrinkle your nose",
    "Depressor anguli oris": "Pull the corners of your mouth down",
    "Corrugator supercilii": "Frown: pull your brows together",
    "Depressor supercilii": "Lower your brows",
    "Orbicularis oris": "Press your lips together",
    "Orbicularis oculi": "Squeeze your eyes shut",
}
"""What the operator asks the participant to do to contract each muscle."""


@dataclass(frozen=True)
class RestMetrics:
    """One channel's quality at rest, from raw ADC counts."""

    level_counts: float
    noise_counts: float
    mains_fraction: float
    clipping_fraction: float
    flat_line: bool


@dataclass(frozen=True)
class GuidedStep:
    """One guided contraction: the channel that must light and what to ask for."""

    channel_index: int
    muscle: str
    prompt: str


def worst(*grades: str) -> str:
    """The worst of some grades (red > amber > green)."""
    return max(grades, key=GRADE_ORDER.index) if grades else "green"


def _grade(value: float, limits: tuple[float, float]) -> str:
    """Green below the amber limit, amber below the red limit, else red."""
    if value >= limits[1]:
        return "red"
    return "amber" if value >= limits[0] else "green"


def mains_fraction(signal: npt.NDArray[np.float64], rate_hz: float, mains_hz: float) -> float:
    """Share of a 1-D signal's power (mean removed) within 1 Hz of mains and its harmonics."""
    if signal.shape[0] < 16:
        return 0.0
    spectrum = np.abs(np.fft.rfft(signal - signal.mean())) ** 2
    freqs_hz = np.fft.rfftfreq(signal.shape[0], 1.0 / rate_hz)
    total = float(spectrum[1:].sum())
    if total <= 0:
        return 0.0
    harmonic = np.round(freqs_hz / mains_hz)
    near = (harmonic >= 1) & (np.abs(freqs_hz - harmonic * mains_hz) <= MAINS_BAND_HZ)
    return float(spectrum[near].sum() / total)


def rest_metrics(
    counts: npt.NDArray[np.integer], rate_hz: float, sensor_kinds: Sequence[str], mains_hz: float
) -> list[RestMetrics]:
    """Per-channel rest quality of a (samples, channels) window of raw counts.

    `counts` holds only complete samples (`SampleBlock.complete_rows`): lost ones left out.
    """
    rows = counts.astype(np.float64)
    result = []
    for channel, kind in enumerate(sensor_kinds):
        values = rows[:, channel] if rows.size else np.zeros(1)
        mains = mains_fraction(values, rate_hz, mains_hz)
        rails = values >= ADC_MAX_COUNTS - RAIL_MARGIN_COUNTS
        if kind == "raw":
            rails |= values <= RAIL_MARGIN_COUNTS
        level = float(np.median(values))
        result.append(
            RestMetrics(
                level_counts=abs(level - 512.0) if kind == "raw" else level,
                noise_counts=float(values.std() * np.sqrt(max(0.0, 1.0 - mains))),
                mains_fraction=mains,
                clipping_fraction=float(rails.mean()),
                flat_line=bool(np.ptp(values) < FLAT_PEAK_TO_PEAK_COUNTS),
            )
        )
    return result


def limit_reason(grade: str, what: str, limits: tuple[float, float], unit: str = "") -> str:
    """Why a metric is not green: its value and unit, and the limit it passed.

    "noise 129 counts RMS, limit 80" (red); "noise 52 counts RMS, good below 40" (amber).
    """
    if unit == "%":
        amber, red = (f"{limit:.1%}" if limit < 0.1 else f"{limit:.0%}" for limit in limits)
    else:
        amber, red = f"{limits[0]:.0f}{unit}", f"{limits[1]:.0f}{unit}"
    return f"{what}, limit {red}" if grade == "red" else f"{what}, good below {amber}"


def rest_grade(metrics: RestMetrics, kind: str) -> tuple[str, list[str]]:
    """Grade of a channel's rest metrics, with the reasons (value, unit, limit) for anything
    not green."""
    if metrics.flat_line:
        return "red", [
            f"flat line (varies by less than {FLAT_PEAK_TO_PEAK_COUNTS:.0f} counts): "
            "electrode off or sensor unpowered"
        ]
    level_what = "rest level" if kind == "envelope" else "offset from mid-rail"
    checks = [
        (
            metrics.clipping_fraction,
            CLIPPING_LIMITS,
            f"clipping {metrics.clipping_fraction:.1%} of samples",
            "%",
        ),
        (
            metrics.noise_counts,
            NOISE_LIMITS_COUNTS[kind],
            f"noise {metrics.noise_counts:.0f} counts RMS",
            "",
        ),
        (
            metrics.mains_fraction,
            MAINS_LIMITS,
            f"mains {metrics.mains_fraction:.0%} of the signal power",
            "%",
        ),
        (
            metrics.level_counts,
            REST_LEVEL_LIMITS_COUNTS[kind],
            f"{level_what} {metrics.level_counts:.0f} counts",
            "",
        ),
    ]
    grades = [_grade(value, limits) for value, limits, _, _ in checks]
    reasons = [
        limit_reason(grade, what, limits, unit)
        for grade, (_, limits, what, unit) in zip(grades, checks, strict=True)
        if grade != "green"
    ]
    return worst(*grades), reasons


def contraction_rise(
    window: npt.NDArray[np.floating], rest: npt.NDArray[np.floating]
) -> npt.NDArray[np.float64]:
    """Per channel: 90th percentile of the contraction window minus the rest median."""
    if window.size == 0 or rest.size == 0:
        return np.zeros(window.shape[1] if window.ndim == 2 else 0)
    return np.percentile(window, 90, axis=0) - np.median(rest, axis=0)


def needed_rise(rest_sd: float, kind: str) -> float:
    """How far a guided contraction must lift its channel above rest, in counts."""
    return max(MIN_RISE_COUNTS[kind], RISE_SD_FACTOR * rest_sd)


def contraction_grade(rise: float, rest_sd: float, kind: str) -> tuple[str, bool]:
    """Grade and lit flag of a guided contraction's rise on its expected channel."""
    needed = needed_rise(rest_sd, kind)
    if rise >= needed:
        return "green", True
    return ("amber" if rise >= needed / 2 else "red"), False


def contraction_reason(rise: float, rest_sd: float, kind: str) -> str:
    """Why a guided contraction did not light its channel: its rise and the rise needed."""
    needed = needed_rise(rest_sd, kind)
    return (
        f"contraction did not light the channel: rise {rise:.0f} counts, "
        f"needs {needed:.0f} (red below {needed / 2:.0f})"
    )


def guided_steps(montage: Sequence[ChannelSpec]) -> list[GuidedStep]:
    """One guided contraction per channel with a known muscle, in channel order."""
    steps = []
    for spec in montage:
        if spec.muscle:
            prompt = PROMPTS.get(spec.muscle, f"Contract the {spec.muscle}")
            steps.append(GuidedStep(spec.index, spec.muscle, prompt))
    return steps
