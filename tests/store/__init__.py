"""Tests of the SQLite session store, on real files and real processes; shared helpers below."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch
from microexp_tui.store import SessionStore

REPO_ROOT = Path(__file__).resolve().parents[2]


def seed_channels(count: int = 8) -> list[ChannelSpec]:
    """A montage of `count` envelope channels named after the seed dataset's muscles."""
    return [
        ChannelSpec(
            index=i,
            label=f"s{i + 1}",
            muscle=SEED_MONTAGE[i % len(SEED_MONTAGE)].name,
            sensor_kind="envelope",
            action_units=SEED_MONTAGE[i % len(SEED_MONTAGE)].action_units,
        )
        for i in range(count)
    ]


def counts(first: int, n_samples: int, channels: int = 8) -> np.ndarray:
    """Deterministic (samples, channels) int16 counts that encode their own sample index."""
    index = np.arange(first, first + n_samples, dtype=np.int64)[:, None]
    return ((index * 7 + np.arange(channels)[None, :] * 101) % 1024).astype(np.int16)


def start_recording(
    store: SessionStore, channels: int = 8, sample_rate_hz: int = 1000, simulated: bool = True
) -> int:
    """Create a participant and start a session on it; return the session id."""
    participant = store.create_participant()
    return store.start_session(
        participant.id,
        sample_rate_hz=sample_rate_hz,
        channels=seed_channels(channels),
        device={"board": "mega2560", "firmware": "1.0.0", "protocol_version": 1, "legacy": False},
        simulated=simulated,
        protocol="seed-6-emotions",
        operator="op1",
    )


def one_second(first: int, channels: int = 8, rate_hz: int = 1000) -> Batch:
    """A batch holding one second of samples starting at `first`."""
    return Batch(chunks=[(first, counts(first, rate_hz, channels))])
