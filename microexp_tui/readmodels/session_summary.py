"""One line per recorded session: what `microexp sessions` lists (status, extent, counters)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microexp_tui.domain.sessions import SessionRecord

if TYPE_CHECKING:
    from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class SessionSummary:
    """A session's listing row; `as_json` keeps the field order of the `--json` output."""

    session_id: int
    participant_code: str
    status: str
    started_at: str
    ended_at: str | None
    protocol: str | None
    channels: int
    sample_rate_hz: float
    samples_per_channel: int
    duration_s: float
    simulated: bool
    counters: dict[str, int]
    source: str = "board"
    """Where the samples came from: a board, or an imported file."""
    test_participant: bool = False
    """Recorded for the flagged test participant (headless `record` without `--participant`)."""

    @classmethod
    def of(cls, record: SessionRecord) -> SessionSummary:
        """The summary of a stored session (a session without a rate counts 1 Hz, not a crash)."""
        rate_hz = record.sample_rate_hz or 1
        return cls(
            session_id=record.id,
            participant_code=record.participant_code,
            status=record.status,
            started_at=record.started_at,
            ended_at=record.ended_at,
            protocol=record.protocol,
            channels=record.channel_count,
            sample_rate_hz=record.sample_rate_hz,
            samples_per_channel=record.samples_per_channel,
            duration_s=record.samples_per_channel / rate_hz,
            simulated=bool(record.simulated),
            counters=dict(record.counters),
            source=record.source,
            test_participant=record.test_participant,
        )

    def as_json(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return asdict(self)


def session_summaries(store: SessionStore) -> list[SessionSummary]:
    """Every session in the database, in the store's listing order."""
    return [SessionSummary.of(record) for record in store.list_sessions()]


def summaries_of_database(path: Path) -> list[SessionSummary]:
    """Every session of the database at `path`, read lightly when opening would change nothing.

    The full store (migrations, crash recovery, audit checks and their warnings) opens
    whenever it has work to do, so the listing is the same either way.
    """
    from microexp_tui.store.listing import sessions_if_current

    found = sessions_if_current(path)
    if found is None:
        from microexp_tui.store.sessions import SessionStore

        with SessionStore.open(path) as store:
            found = store.list_sessions()
    return [SessionSummary.of(record) for record in found]
