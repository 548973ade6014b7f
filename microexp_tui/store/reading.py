"""Reading a recording back: its samples (a range, or chunk by chunk), markers, gaps, artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from microexp_tui.domain.recording import ArtifactRecord, GapRecord, MarkerRecord, StoredSamples
from microexp_tui.store import samples, session_records
from microexp_tui.store.connection import StoreConnection

if TYPE_CHECKING:
    from sqlite_utils import Database


def event_rows(db: Database, session_id: int, columns: str, table: str, order: str) -> list[Any]:
    """Rows of one event table of a session, ordered by `order` then id."""
    cursor = db.execute(
        f"SELECT {columns} FROM {table} WHERE session_id = ? ORDER BY {order}, id", [session_id]
    )
    return [tuple(row) for row in cursor.fetchall()]


def chunk_ids(db: Database, session_id: int) -> list[int]:
    """Ids of a session's stored sample chunks in sample order."""
    return [
        row[0]
        for row in db.execute(
            "SELECT id FROM sample_chunks WHERE session_id = ? ORDER BY first_sample", [session_id]
        )
    ]


def chunk(db: Database, chunk_id: int, sample_format: str) -> StoredSamples:
    """One stored chunk with its mask."""
    first, n_samples, channels, blob, mask = db.execute(
        "SELECT first_sample, n_samples, channel_count, data, missing FROM sample_chunks "
        "WHERE id = ?",
        [chunk_id],
    ).fetchone()
    return StoredSamples(
        first, *samples.decode_chunk(blob, mask, n_samples, channels, sample_format)
    )


class RecordingQueries(StoreConnection):
    """Store methods that read what a recording stored: samples and events."""

    def read_samples(
        self, session_id: int, start_index: int = 0, stop_index: int | None = None
    ) -> StoredSamples:
        """Samples [start_index, stop_index) with the mask of those that were never stored.

        `stop_index` is clipped to the session's extent. Values are in the session's sample
        format (int16 counts for board sessions); indices lost in a sequence gap (`gaps()`
        lists them) and values marked missing are True in the block's `missing` mask.
        """
        with self._locked(f"read samples of session {session_id}") as db:
            record = session_records.one(db, self.path, session_id)
            start, stop = samples.check_read_range(
                session_id, start_index, stop_index, record.samples_per_channel
            )
            return samples.read_range(
                db, session_id, record.channel_count, record.sample_format, start, stop
            )

    def sample_chunks(self, session_id: int) -> Iterator[tuple[int, np.ndarray]]:
        """Stored runs of complete samples `(first_index, (samples, channels) values)` in order.

        Reads one chunk at a time (about a second each), so a long session never sits in
        memory whole; lost samples and samples with any value marked missing are simply
        absent (a jump in `first_index`).
        """
        with self._locked(f"read samples of session {session_id}") as db:
            sample_format = session_records.one(db, self.path, session_id).sample_format
            ids = chunk_ids(db, session_id)
        for chunk_id in ids:
            with self._locked(f"read samples of session {session_id}") as db:
                found = chunk(db, chunk_id, sample_format)
            yield from samples.complete_runs(found.first_index, found.values, found.missing)

    def markers(self, session_id: int) -> list[MarkerRecord]:
        """Events (stimuli, markers, triggers, external events) of a session in sample order."""
        columns = "sample_index, code, source, label, host_time_s, kind, condition"
        rows = self._session_events(session_id, columns, "markers", "sample_index")
        return [MarkerRecord(*row) for row in rows]

    def gaps(self, session_id: int) -> list[GapRecord]:
        """Sequence gaps (lost samples) of a session in sample order."""
        columns = "first_missing_index, n_lost"
        rows = self._session_events(session_id, columns, "sequence_gaps", "first_missing_index")
        return [GapRecord(*row) for row in rows]

    def artifacts(self, session_id: int) -> list[ArtifactRecord]:
        """Artifact intervals of a session in sample order."""
        columns = "channel, flag, start_index, stop_index"
        rows = self._session_events(session_id, columns, "artifacts", "start_index")
        return [ArtifactRecord(*row) for row in rows]

    def _session_events(
        self, session_id: int, columns: str, table: str, order: str
    ) -> list[tuple[Any, ...]]:
        """Rows of one event table of an existing session (StoreError for an unknown id)."""
        with self._locked(f"read the {table} of session {session_id}") as db:
            session_records.one(db, self.path, session_id)
            return event_rows(db, session_id, columns, table, order)
