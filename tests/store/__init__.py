"""Tests of the SQLite session store, on real files and real processes; shared helpers below."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch
from microexp_tui.store import schema
from microexp_tui.store.database import connect
from microexp_tui.store.sessions import SessionStore

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
    store: SessionStore, channels: int = 8, sample_rate_hz: float = 1000, simulated: bool = True
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


EVENT_KINDS_VERSION = 11
"""Schema version whose markers table requires a kind (0011_event_kinds.sql)."""


def database_at_version(path: Path, version: int) -> int:
    """A database built by the numbered migrations up to `version`, holding one finished session.

    The session is written with plain SQL on the columns every version has (as an older
    release would have left it): 1 s of `counts` at 1000 Hz on 8 channels, one marker of
    code 0x0101 at sample 250. Returns the session id.
    """
    db = connect(path)
    assert schema.migrate(db, path, target_version=version) == version
    db.execute("INSERT INTO participants (code, created_at) VALUES ('P-OLD1', 'x')")
    db.execute(
        "INSERT INTO sessions (uuid, participant_id, status, started_at, ended_at, protocol, "
        "operator, sample_rate_hz, channel_count, device, simulated, samples_per_channel, "
        "stored_samples) VALUES ('u-1', 1, 'completed', '2026-01-02T10:00:00.000+00:00', "
        "'2026-01-02T10:00:01.000+00:00', 'seed', 'op1', 1000, 8, '{}', 1, 1000, 1000)"
    )
    for spec in seed_channels():
        db.execute(
            "INSERT INTO channels (session_id, channel_index, label, muscle, sensor_kind, "
            "action_units) VALUES (1, ?, ?, ?, ?, ?)",
            [spec.index, spec.label, spec.muscle, spec.sensor_kind, ",".join(spec.action_units)],
        )
    db.execute(
        "INSERT INTO sample_chunks (session_id, first_sample, n_samples, channel_count, data) "
        "VALUES (1, 0, 1000, 8, ?)",
        [counts(0, 1000).astype("<i2").tobytes()],
    )
    with_kind = version >= EVENT_KINDS_VERSION  # from then on every event row has a kind
    kind_column, kind_value = (", kind", ", 'stimulus'") if with_kind else ("", "")
    db.execute(
        f"INSERT INTO markers (session_id, sample_index, code, source, label, host_time_s"
        f"{kind_column}) VALUES (1, 250, 257, 'host', NULL, NULL{kind_value})"
    )
    db.execute("INSERT INTO session_quality (session_id, frames) VALUES (1, 125)")
    db.close()
    return 1
