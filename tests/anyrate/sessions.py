"""Imported sessions made through the store API: synthetic signals in physical units, any rate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.muscles import (
    CORRUGATOR_SUPERCILII,
    EMOTION_CHANNELS,
    FRONTALIS,
    ORBICULARIS_OCULI,
    SEED_MONTAGE,
    ZYGOMATICUS_MAJOR,
    Muscle,
)
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.store.sessions import SessionStore

BURST_S = 0.8
"""How long every synthetic contraction lasts."""


@dataclass(frozen=True)
class Imported:
    """A synthetic imported session: how it was made and where its bursts are."""

    name: str
    rate_hz: float
    muscles: tuple[Muscle, ...]
    sensor_kind: str
    unit: str
    sample_format: str
    scale: float
    duration_s: float
    rest_level: float
    """Resting envelope level (envelope) or noise SD (raw), in `unit`."""
    burst_level: float
    """Envelope rise (envelope) or burst SD (raw) during a contraction, in `unit`."""
    stimuli: tuple[tuple[float, str, tuple[int, ...]], ...]
    """(onset in s, condition, channels that contract from onset + 0.5 s)."""
    physical_range: tuple[float, float] | None = None
    """The acquisition's input range in `unit`, when the file gave one."""

    def burst_onsets_s(self, channel: int) -> list[float]:
        """Onsets (s) of the contractions on one channel."""
        return [onset + 0.5 for onset, _, channels in self.stimuli if channel in channels]


Stimuli = tuple[tuple[float, str, tuple[int, ...]], ...]


def _emotion_stimuli(count: int, every_s: float, channels: int) -> Stimuli:
    """A stimulus every `every_s` seconds cycling through emotions; their channels within range."""
    emotions = list(EMOTION_CHANNELS)
    out = []
    for n in range(count):
        emotion = emotions[n % len(emotions)]
        active = tuple(c % channels for c in EMOTION_CHANNELS[emotion])
        out.append((6.0 + n * every_s, emotion, tuple(sorted(set(active)))))
    return tuple(out)


ENVELOPE_20HZ_MV = Imported(
    "envelope-20hz-mv",
    20.0,
    SEED_MONTAGE,
    "envelope",
    "mV",
    "float32",
    1.0,
    90.0,
    0.05,
    0.6,
    _emotion_stimuli(12, 7.0, 8),
)
RAW_2KHZ_UV = Imported(
    "raw-2khz-uv",
    2000.0,
    (ZYGOMATICUS_MAJOR, FRONTALIS, CORRUGATOR_SUPERCILII, ORBICULARIS_OCULI),
    "raw",
    "uV",
    "int32",
    0.05,
    40.0,
    3.0,
    60.0,
    _emotion_stimuli(5, 6.5, 4),
)
RAW_4KHZ_UV = Imported(
    "raw-4khz-uv",
    4000.0,
    (ZYGOMATICUS_MAJOR, ORBICULARIS_OCULI),
    "raw",
    "uV",
    "float32",
    1.0,
    24.0,
    2.0,
    40.0,
    ((6.0, "happy", (0, 1)), (12.0, "happy", (0,)), (18.0, "neutral", (1,))),
)


def physical_signal(spec: Imported, seed: int = 7) -> np.ndarray:
    """The session's `(samples, channels)` signal in its unit, bursts where `stimuli` say."""
    rng = np.random.default_rng(seed)
    n = round(spec.duration_s * spec.rate_hz)
    channels = len(spec.muscles)
    active = np.zeros((n, channels), dtype=bool)
    for channel in range(channels):
        for onset in spec.burst_onsets_s(channel):
            start = round(onset * spec.rate_hz)
            active[start : start + round(BURST_S * spec.rate_hz), channel] = True
    if spec.sensor_kind == "raw":
        sd = np.where(active, spec.burst_level, spec.rest_level)
        return rng.normal(0.0, 1.0, (n, channels)) * sd
    ramp = np.ones(max(1, round(0.15 * spec.rate_hz)))
    ramp /= ramp.sum()
    smooth = np.stack([np.convolve(c, ramp, mode="same") for c in active.T.astype(float)], axis=1)
    noise = rng.normal(0, spec.rest_level / 5, (n, channels))
    return spec.rest_level + spec.burst_level * smooth + noise


def stored_values(spec: Imported, physical: np.ndarray) -> np.ndarray:
    """The physical signal as the session stores it (`stored * scale = physical`)."""
    if spec.sample_format == "float32":
        return (physical / spec.scale).astype(np.float32)
    return np.round(physical / spec.scale).astype(spec.sample_format)


def create_imported_session(
    database: Path, spec: Imported, participant: str = "SUB01", values: np.ndarray | None = None
) -> int:
    """Store `spec` as a finished imported session with its stimulus events; return its id.

    `values` replaces the stored values made from the spec (e.g. a masked array).
    """
    channels = [
        ChannelSpec(
            i,
            f"EMG{i + 1}",
            muscle.name,
            spec.sensor_kind,
            muscle.action_units,
            unit=spec.unit,
            scale=spec.scale,
            offset=0.0,
            physical_min=spec.physical_range[0] if spec.physical_range else None,
            physical_max=spec.physical_range[1] if spec.physical_range else None,
        )
        for i, muscle in enumerate(spec.muscles)
    ]
    markers: list[MarkerRecord | tuple[Any, ...]] = [
        MarkerRecord(
            round(onset * spec.rate_hz),
            None,
            "import",
            condition,
            None,
            kind="stimulus",
            condition=condition,
        )
        for onset, condition, _ in spec.stimuli
    ]
    with SessionStore.open(database) as store:
        person = store.create_participant(code=participant)
        session_id = store.start_session(
            person.id,
            sample_rate_hz=spec.rate_hz,
            channels=channels,
            device={"source_file": f"{spec.name}.edf"},
            simulated=False,
            source="import",
            sample_format=spec.sample_format,
        )
        step = int(spec.rate_hz * 10)
        if values is None:
            values = stored_values(spec, physical_signal(spec))
        for start in range(0, values.shape[0], step):
            store.write_batch(session_id, Batch(chunks=[(start, values[start : start + step])]))
        store.write_batch(session_id, Batch(markers=markers))
        store.finish_session(session_id, "completed")
    return session_id
