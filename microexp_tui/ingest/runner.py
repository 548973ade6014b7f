"""`import_path`: every EMG recording at a path stored as one `imported` session each.

A recording that cannot be read is refused with its file and defect while the others are
imported; the participant comes from the `sub-` label (or `--participant`), never from an
EDF header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microexp_tui.domain.recording import Batch
from microexp_tui.errors import InputError
from microexp_tui.ingest.bids_layout import Recording, discover
from microexp_tui.ingest.recording import ImportedRecording, read_recording
from microexp_tui.store.sessions import SessionStore

VALUES_PER_CHUNK = 2_000_000
"""Sample values (samples x channels) stored per chunk row and transaction."""
_BIDS_LABEL = re.compile(r"[A-Za-z0-9]{1,32}")


@dataclass(frozen=True)
class ImportedSession:
    """One stored session and what the import said about it."""

    session_id: int
    source: str
    participant: str
    channels: int
    sample_rate_hz: float
    samples: int
    units: tuple[str, ...]
    sample_format: str
    events: int
    events_outside: int
    gaps: int
    skipped_channels: tuple[str, ...]
    warnings: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The session as plain JSON data."""
        return {
            "session_id": self.session_id,
            "source": self.source,
            "participant": self.participant,
            "channels": self.channels,
            "sample_rate_hz": self.sample_rate_hz,
            "samples": self.samples,
            "units": list(self.units),
            "sample_format": self.sample_format,
            "events": self.events,
            "events_outside": self.events_outside,
            "gaps": self.gaps,
            "skipped_channels": list(self.skipped_channels),
            "warnings": list(self.warnings),
        }


@dataclass
class ImportReport:
    """The sessions created, the recordings refused (file, reason), those imported before
    from identical files (file, session id) and the other modalities' files skipped."""

    sessions: list[ImportedSession] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    already: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON data, with the created session ids first."""
        return {
            "session_ids": [s.session_id for s in self.sessions],
            "sessions": [s.as_json() for s in self.sessions],
            "refused": [{"file": file, "reason": reason} for file, reason in self.refused],
            "already_imported": [
                {"file": file, "session_id": session_id} for file, session_id in self.already
            ],
            "skipped": self.skipped,
        }


def import_path(
    path: Path,
    store: SessionStore,
    *,
    participant: str | None = None,
    sensor_kind: str | None = None,
    participant_prefix: str = "",
) -> ImportReport:
    """Import every EMG recording at `path` into `store`; unreadable ones are refused.

    `participant_prefix` is put before every `sub-` label, so that two datasets' `sub-01`
    stay two people; a recording filed under a participant that was in the database before
    this import gets a warning saying so.
    """
    if participant_prefix and not _PREFIX_PATTERN.fullmatch(participant_prefix):
        raise InputError(
            f"--participant-prefix {participant_prefix!r} is invalid: use 1-16 letters, digits, "
            "'.', '_' or '-' starting with a letter or digit (e.g. labA-)."
        )
    found = discover(path)
    subjects = sorted({r.name.entities.get("sub", "") for r in found.recordings} - {""})
    if participant and len(subjects) > 1:
        raise InputError(
            f"{path} holds recordings of {len(subjects)} subjects ({', '.join(subjects[:5])}); "
            "--participant would make them one person. Leave it out (each `sub-` label is "
            "its participant) or import one subject's folder at a time."
        )
    report = ImportReport(skipped=list(found.skipped))
    existing = {person.code for person in store.list_participants()}
    for recording in found.recordings:
        code = participant_code(recording, participant, participant_prefix)
        try:
            imported = read_recording(recording, sensor_kind)
            earlier = store.session_imported_from(imported.sources)
            if earlier is not None:
                report.already.append((recording.shown(), earlier))
                continue
            if code in existing and participant is None:
                imported.warnings.append(_reused_warning(code, participant_prefix))
            report.sessions.append(store_recording(store, imported, code))
        except InputError as err:
            report.refused.append((recording.shown(), str(err)))
    return report


_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}")
"""A participant prefix: with a BIDS label it still makes a valid participant code."""


def _reused_warning(code: str, prefix: str) -> str:
    """The warning for a `sub-` label that names a participant already in the database."""
    return (
        f"participant {code} was already in the database before this import, so this "
        "recording is filed as that person's; if it is another person (another dataset's "
        f"sub-{code.removeprefix(prefix)}), delete this session and import again with "
        "--participant-prefix PREFIX (e.g. the dataset's short name)"
    )


def participant_code(recording: Recording, given: str | None, prefix: str = "") -> str:
    """The participant: --participant, else `prefix` + the `sub-` label; InputError when
    there is none."""
    if given:
        return given
    label = recording.name.entities.get("sub")
    if label is None:
        raise InputError(
            f"{recording.data_file} has no `sub-<label>` in its name, so its participant is "
            "unknown; give one with --participant CODE (a pseudonymous code, never a name)."
        )
    if not _BIDS_LABEL.fullmatch(label):
        raise InputError(
            f"{recording.data_file}: its subject label {label!r} is not a BIDS label "
            "(letters and digits only); rename the file or give --participant CODE."
        )
    return prefix + label


def store_recording(store: SessionStore, imported: ImportedRecording, code: str) -> ImportedSession:
    """Store one read recording as an `imported` session; an aborted session if writing fails."""
    person = store.participant_by_code(code) or store.create_participant(code)
    session_id = store.start_session(
        person.id,
        sample_rate_hz=imported.rate_hz,
        channels=imported.channels,
        device={"file_format": imported.file_variant, "imported_from": imported.recording.shown()},
        simulated=imported.simulated,
        operator=None,
        source="import",
        sample_format=imported.sample_format,
    )
    try:
        for batch in _batches(imported):
            store.write_batch(session_id, batch)
        store.finish_import(session_id, imported.sources)
    except BaseException:
        store.finish_session(session_id, "aborted")
        raise
    return ImportedSession(
        session_id=session_id,
        source=imported.recording.shown(),
        participant=person.code,
        channels=len(imported.channels),
        sample_rate_hz=imported.rate_hz,
        samples=imported.n_samples,
        units=tuple(dict.fromkeys(spec.unit for spec in imported.channels)),
        sample_format=imported.sample_format,
        events=len(imported.markers),
        events_outside=imported.events_outside,
        gaps=len(imported.gaps),
        skipped_channels=imported.skipped_channels,
        warnings=tuple(imported.warnings),
    )


def _batches(imported: ImportedRecording) -> Iterator[Batch]:
    """Batches of present samples (gaps left out), events and gaps in the first one."""
    first = True
    for at, values in imported.blocks(VALUES_PER_CHUNK):
        batch = Batch(chunks=[(at, values)])
        if first:
            batch.markers = list(imported.markers)
            batch.gaps = list(imported.gaps)
            lost = sum(gap.n_lost for gap in imported.gaps)
            batch.counters = {"lost_samples": lost, "sequence_gaps": len(imported.gaps)}
            first = False
        yield batch
