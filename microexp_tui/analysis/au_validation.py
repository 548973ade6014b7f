"""Validate a stored session's expressions against an OpenFace / py-feat AU file, and store it.

`reading` says which OpenFace face to use and the video's frame rate for files that number
frames without times (see `expressions.au_import`).

The AU file's clock is put on the session's sample clock by an explicit offset (session
time of the video's first frame) or by a sync marker: the session's first marker of the
sync code (default the trigger input, 0x0400) is the moment seen at `au_sync_s` in the video.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from microexp_tui.domain.expressions import ValidationReport
from microexp_tui.domain.markers import MARKER_TRIGGER_INPUT, describe_marker
from microexp_tui.errors import InputError
from microexp_tui.expressions.au_import import AuReadOptions, AuTable, au_events, read_au_csv
from microexp_tui.expressions.validation import (
    DEFAULT_TOLERANCE_MS,
    Alignment,
    explicit_alignment,
    marker_alignment,
    validate,
)
from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class AuAlignmentRequest:
    """How the operator asked to align the AU file: an offset, or a sync marker code."""

    offset_s: float | None = None
    sync_code: int = MARKER_TRIGGER_INPUT
    au_sync_s: float = 0.0


def session_alignment(
    store: SessionStore, session_id: int, request: AuAlignmentRequest
) -> Alignment:
    """The alignment to use: the explicit offset, else the session's first sync marker."""
    if request.offset_s is not None:
        return explicit_alignment(request.offset_s)
    rate_hz = store.session(session_id).sample_rate_hz
    for marker in store.markers(session_id):
        if marker.code == request.sync_code:
            name = f"{describe_marker(marker.code)} (0x{marker.code:04X})"
            return marker_alignment(marker.sample_index / rate_hz, name, request.au_sync_s)
    raise InputError(
        f"Session {session_id} has no sync marker 0x{request.sync_code:04X} "
        f"({describe_marker(request.sync_code)}) to align the AU file with. Give the session "
        "time of the video's first frame with --offset-s SECONDS, or another marker code "
        "with --sync-marker CODE."
    )


def validate_session_aus(
    store: SessionStore,
    session_id: int,
    au_path: Path,
    request: AuAlignmentRequest | None = None,
    *,
    tolerance_ms: float = DEFAULT_TOLERANCE_MS,
    source: str | None = None,
    actor: str = "system",
    reading: AuReadOptions | None = None,
) -> ValidationReport:
    """Score the session's stored expressions against the AU file, store and return the report."""
    table = read_au_csv(au_path, reading)
    return validate_au_table(
        store, session_id, table, request, tolerance_ms=tolerance_ms, source=source, actor=actor
    )


def validate_au_table(
    store: SessionStore,
    session_id: int,
    table: AuTable,
    request: AuAlignmentRequest | None = None,
    *,
    tolerance_ms: float = DEFAULT_TOLERANCE_MS,
    source: str | None = None,
    actor: str = "system",
) -> ValidationReport:
    """Score the session's stored expressions against an AU file already read; store it."""
    if not tolerance_ms > 0:
        raise InputError(f"Tolerance {tolerance_ms} ms: give a positive number of milliseconds.")
    record = store.session(session_id)
    observable = {au for spec in record.channels for au in spec.action_units}
    if not observable:
        raise InputError(
            f"Session {session_id}'s montage names no action units, so nothing can be compared "
            "with the AU file; set the muscles of its channels (montage) first."
        )
    expressions = store.expressions(session_id, source)
    alignment = session_alignment(store, session_id, request or AuAlignmentRequest())
    report = validate(
        expressions,
        au_events(table),
        observable_aus=observable,
        alignment=alignment,
        au_file=table.source,
        au_file_sha256=table.sha256,
        au_file_span_s=(float(table.timestamps_s[0]), float(table.timestamps_s[-1])),
        coded_aus=table.action_units,
        tolerance_ms=tolerance_ms,
    )
    used_source = source or _used_source(store, session_id)
    store.save_validation(session_id, report, used_source, actor)
    return report


def _used_source(store: SessionStore, session_id: int) -> str:
    """Which expression set `expressions(store, id)` returned: offline when present, else live."""
    runs = store.expression_runs(session_id)
    sources = {run.source for run in runs}
    return "offline" if "offline" in sources else "live"
