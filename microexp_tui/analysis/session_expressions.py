"""Detect a stored session's expressions offline, mark guided ones, validate against AUs if asked.

The detection replaces the session's previous offline set in the database; an AU file
(OpenFace / py-feat) is read before anything is replaced, then the expressions are scored
against it and that validation is stored too. `SessionExpressions.as_json` is the JSON
object `microexp microexpressions --json` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microexp_tui.analysis.au_validation import AuAlignmentRequest, validate_au_table
from microexp_tui.analysis.microexpressions import (
    analyse_session,
    channel_names,
    load_classifier,
)
from microexp_tui.domain.expressions import Expression, ValidationReport
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.expressions.au_import import AuReadOptions, AuTable, read_au_csv
from microexp_tui.expressions.guided import guided_expressions
from microexp_tui.expressions.validation import DEFAULT_TOLERANCE_MS, report_as_dict
from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class AuFileRequest:
    """Validate against this AU file, read and aligned as asked, within `tolerance_ms`."""

    path: Path
    alignment: AuAlignmentRequest
    tolerance_ms: float | None = None
    """None: the default tolerance."""
    reading: AuReadOptions = field(default_factory=AuReadOptions)


@dataclass(frozen=True)
class SessionExpressions:
    """A session's offline expressions, which answered a guided cue, and the AU validation."""

    record: SessionRecord
    expressions: list[Expression]
    parameters: dict[str, Any]
    guided: frozenset[int]
    validation: ValidationReport | None
    au_file: AuTable | None = None

    def counts(self) -> dict[str, Any]:
        """How many expressions of each kind and emotion, and how many answered a guided cue."""
        emotions = Counter(x.emotion or "unclear" for x in self.expressions)
        return {
            "expressions": len(self.expressions),
            "guided": len(self.guided),
            "micro": sum(1 for x in self.expressions if x.kind == "micro"),
            "macro": sum(1 for x in self.expressions if x.kind == "macro"),
            "by_emotion": dict(sorted(emotions.items())),
        }

    def as_json(self) -> dict[str, Any]:
        """The whole result as one JSON-ready object."""
        names = channel_names(self.record.channels)
        units = WorkingUnits.of_session(
            self.record.channels, self.record.source, self.record.sample_format
        ).units
        out: dict[str, Any] = {
            "session_id": self.record.id,
            "simulated": self.record.simulated,
            "source": "offline",
            "counts": self.counts(),
            "detector": self.parameters,
            "expressions": [
                expression_json(x, names, position in self.guided, units)
                for position, x in enumerate(self.expressions)
            ],
        }
        if self.validation is not None:
            out["validation"] = report_as_dict(self.validation)
        if self.au_file is not None:
            out["au_file"] = au_file_json(self.au_file)
        return out


def au_file_json(table: AuTable) -> dict[str, Any]:
    """What was read from the AU file: layout, face used and faces in it, frames, times."""
    face = table.face
    return {
        "path": table.source,
        "sha256": table.sha256,
        "layout": table.style,
        "face_id": None if face is None else face.face_id,
        "faces": None if face is None else face.face_count,
        "face_chosen_by": None if face is None else face.chosen_by,
        "tracked_frames": None if face is None else face.tracked_frames,
        "frames": int(table.timestamps_s.size),
        "times_from": table.time_source,
        "warnings": list(table.warnings),
    }


def channel_name(names: Sequence[str], index: int) -> str:
    """A channel's muscle (or label) by index, or `channel N` beyond the montage."""
    return names[index] if 0 <= index < len(names) else f"channel {index + 1}"


def expression_json(
    expression: Expression,
    names: Sequence[str],
    guided: bool = False,
    units: Sequence[str] = (),
) -> dict[str, Any]:
    """One expression as plain JSON (times in seconds and ms, channels by muscle).

    `peak_counts` is in the channel's working unit, named by `peak_unit` (ADC counts on a
    board, the file's unit for an import; `units` per channel, empty: counts).
    """
    return {
        "guided": guided,
        "onset_s": round(expression.onset_s, 4),
        "offset_s": round(expression.offset_s, 4),
        "apex_s": round(expression.apex_s, 4),
        "duration_ms": round(expression.duration_ms, 1),
        "kind": expression.kind,
        "channels": [c + 1 for c in expression.channels],
        "muscles": [channel_name(names, c) for c in expression.channels],
        "action_units": list(expression.action_units),
        "emotion": expression.emotion,
        "confidence": expression.confidence,
        "emotion_source": expression.emotion_source,
        "activations": [
            {
                "channel": a.channel_index + 1,
                "onset_s": round(a.onset_index / expression.rate_hz, 4),
                "duration_ms": round(a.duration_ms(expression.rate_hz), 1),
                "peak_counts": round(a.peak_counts, 1)
                if not units or units[a.channel_index] == "counts"
                else float(f"{a.peak_counts:.4g}"),
                "peak_unit": units[a.channel_index] if units else "counts",
                "peak_pct_mvc": None if a.peak_pct_mvc is None else round(a.peak_pct_mvc, 1),
            }
            for a in expression.activations
        ],
    }


def detect_session_expressions(
    database: Path,
    session_id: int,
    *,
    model_path: Path | None = None,
    mains_hz: float | None = None,
    aus: AuFileRequest | None = None,
) -> SessionExpressions:
    """Detect (and classify with a model), store as the offline set, validate against AUs."""
    # a malformed AU file stops before the offline set is replaced
    table = read_au_csv(aus.path, aus.reading) if aus is not None else None
    with SessionStore.open(database) as store:
        record = store.session(session_id)
        classifier = load_classifier(model_path, record, store) if model_path else None
        analysis = analyse_session(store, record.id, mains_hz=mains_hz, classifier=classifier)
        validation = None
        if aus is not None and table is not None:
            validation = _validate(store, record.id, aus, table)
        cues = [(m.sample_index, m.code) for m in store.markers(record.id) if m.code is not None]
    guided = guided_expressions(analysis.expressions, cues, record.sample_rate_hz)
    return SessionExpressions(
        record, analysis.expressions, analysis.parameters, guided, validation, table
    )


def _validate(
    store: SessionStore, session_id: int, aus: AuFileRequest, table: AuTable
) -> ValidationReport:
    """AU validation of the offline expressions just stored."""
    tolerance_ms = DEFAULT_TOLERANCE_MS if aus.tolerance_ms is None else aus.tolerance_ms
    return validate_au_table(
        store, session_id, table, aus.alignment, tolerance_ms=tolerance_ms, source="offline"
    )
