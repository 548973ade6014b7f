"""`microexp microexpressions SESSION`: detect a stored session's expressions offline, print them.

The detection replaces the session's previous offline set in the database; `--aus FILE.csv`
then scores the expressions against a video-coded AU file (OpenFace / py-feat) and stores
that validation too. Human output is a table and a summary; `--json` prints one object.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microexp_tui.domain.expressions import Expression, ValidationReport
from microexp_tui.expressions.guided import guided_expressions
from microexp_tui.expressions.validation import DEFAULT_TOLERANCE_MS

if TYPE_CHECKING:  # imported when the command runs, so `microexp --help` stays light
    from microexp_tui.domain.channels import ChannelSpec


def add_command(sub: Any) -> None:
    """Register the `microexpressions` subcommand."""
    command = sub.add_parser(
        "microexpressions",
        help="detect a stored session's micro- and macro-expressions offline and list them",
    )
    command.add_argument("session", type=int, help="session id (see `microexp sessions`)")
    command.add_argument("--db", type=Path, help="session database (default: user data dir)")
    command.add_argument(
        "--aus", type=Path, help="validate against this OpenFace / py-feat AU file (.csv)"
    )
    command.add_argument(
        "--offset-s",
        type=float,
        help="session time (s) of the AU file's time 0 (default: align on the sync marker)",
    )
    command.add_argument(
        "--tolerance-ms",
        type=float,
        default=DEFAULT_TOLERANCE_MS,
        help=f"largest EMG-to-AU onset distance that counts as a match (default "
        f"{DEFAULT_TOLERANCE_MS:.0f})",
    )
    command.add_argument(
        "--sync-marker",
        type=marker_code,
        help="marker code to align the AU file on (default 0x0400, the trigger input)",
    )
    command.add_argument(
        "--au-sync-s", type=float, default=0.0, help="time in the AU file of the sync marker"
    )
    command.add_argument(
        "--model", type=Path, help="also classify each expression with this .onnx model"
    )
    command.add_argument(
        "--mains-hz",
        type=float,
        choices=(50.0, 60.0),
        help="mains frequency (default: the session's setting, else 50)",
    )
    command.add_argument("--json", action="store_true", help="print one JSON object")


def marker_code(text: str) -> int:
    """A marker code given in decimal or 0x hex (argparse names the option when it fails)."""
    return int(text, 0)


def run(args: argparse.Namespace) -> int:
    """Analyse, store, validate if asked, and print."""
    from microexp_tui.analysis.microexpressions import analyse_session, load_classifier
    from microexp_tui.expressions.au_import import read_au_csv
    from microexp_tui.paths import default_database_path
    from microexp_tui.store.sessions import SessionStore

    if args.aus is not None:
        read_au_csv(args.aus)  # a malformed AU file stops before the analysis is replaced
    with SessionStore.open(args.db or default_database_path()) as store:
        record = store.session(args.session)
        classifier = load_classifier(args.model, record, store) if args.model else None
        analysis = analyse_session(store, record.id, mains_hz=args.mains_hz, classifier=classifier)
        report = _validate(store, record.id, args) if args.aus else None
        cues = [(m.sample_index, m.code) for m in store.markers(record.id) if m.code is not None]
    guided = guided_expressions(analysis.expressions, cues, record.sample_rate_hz)
    out = as_json(analysis.expressions, record.channels, analysis.parameters, report, guided)
    out = {"session_id": record.id, "simulated": record.simulated, **out}
    if args.json:
        print(json.dumps(out))
    else:
        print(render(analysis.expressions, record.channels, record.id, report, guided))
    return 0


def _validate(store: Any, session_id: int, args: argparse.Namespace) -> ValidationReport:
    """AU validation of the offline expressions just stored (the lead's validation module)."""
    # --- AU validation call site (microexp_tui.analysis.au_validation, issue 8 part 2) ---
    from microexp_tui.analysis.au_validation import AuAlignmentRequest, validate_session_aus

    request = AuAlignmentRequest(offset_s=args.offset_s, au_sync_s=args.au_sync_s)
    if args.sync_marker is not None:
        request = AuAlignmentRequest(args.offset_s, args.sync_marker, args.au_sync_s)
    return validate_session_aus(
        store, session_id, args.aus, request, tolerance_ms=args.tolerance_ms, source="offline"
    )


def _channel_name(channels: Sequence[ChannelSpec], index: int) -> str:
    """A channel's muscle (or label) for tables and JSON."""
    if 0 <= index < len(channels):
        return channels[index].muscle or channels[index].label
    return f"channel {index + 1}"


def expression_json(
    expression: Expression, channels: Sequence[ChannelSpec], guided: bool = False
) -> dict[str, Any]:
    """One expression as plain JSON (times in seconds and ms, channels by muscle)."""
    return {
        "guided": guided,
        "onset_s": round(expression.onset_s, 4),
        "offset_s": round(expression.offset_s, 4),
        "apex_s": round(expression.apex_s, 4),
        "duration_ms": round(expression.duration_ms, 1),
        "kind": expression.kind,
        "channels": [c + 1 for c in expression.channels],
        "muscles": [_channel_name(channels, c) for c in expression.channels],
        "action_units": list(expression.action_units),
        "emotion": expression.emotion,
        "confidence": expression.confidence,
        "emotion_source": expression.emotion_source,
        "activations": [
            {
                "channel": a.channel_index + 1,
                "onset_s": round(a.onset_index / expression.rate_hz, 4),
                "duration_ms": round(a.duration_ms(expression.rate_hz), 1),
                "peak_counts": round(a.peak_counts, 1),
                "peak_pct_mvc": None if a.peak_pct_mvc is None else round(a.peak_pct_mvc, 1),
            }
            for a in expression.activations
        ],
    }


def counts(
    expressions: Sequence[Expression], guided: frozenset[int] = frozenset()
) -> dict[str, Any]:
    """How many expressions of each kind and emotion, and how many answered a guided cue."""
    emotions = Counter(x.emotion or "unclear" for x in expressions)
    return {
        "expressions": len(expressions),
        "guided": len(guided),
        "micro": sum(1 for x in expressions if x.kind == "micro"),
        "macro": sum(1 for x in expressions if x.kind == "macro"),
        "by_emotion": dict(sorted(emotions.items())),
    }


def as_json(
    expressions: Sequence[Expression],
    channels: Sequence[ChannelSpec],
    parameters: dict[str, Any],
    report: ValidationReport | None,
    guided: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """The command's JSON object (without the session id)."""
    out: dict[str, Any] = {
        "source": "offline",
        "counts": counts(expressions, guided),
        "detector": parameters,
        "expressions": [
            expression_json(x, channels, position in guided)
            for position, x in enumerate(expressions)
        ],
    }
    if report is not None:
        from microexp_tui.expressions.validation import report_as_dict

        out["validation"] = report_as_dict(report)
    return out


def render(
    expressions: Sequence[Expression],
    channels: Sequence[ChannelSpec],
    session_id: int,
    report: ValidationReport | None,
    guided: frozenset[int] = frozenset(),
) -> str:
    """Human-readable table, summary and (with --aus) the validation's overall line."""
    from microexp_tui.study.montages import short_muscle

    lines = [
        f"{'onset s':>9} {'dur ms':>7} {'kind':<5} {'AUs':<20} {'emotion':<9} {'conf':>4} muscles"
    ]
    for position, x in enumerate(expressions):
        muscles = ", ".join(short_muscle(_channel_name(channels, c)) for c in x.channels)
        muscles += " (guided contraction)" if position in guided else ""
        units = "+".join(unit.removeprefix("AU") for unit in x.action_units)
        lines.append(
            f"{x.onset_s:9.3f} {x.duration_ms:7.0f} {x.kind:<5} "
            f"{('AU' + units if units else '-'):<20} {(x.emotion or '?'):<9} "
            f"{x.confidence:4.2f} {muscles}"
        )
    summary = counts(expressions, guided)
    emotions = ", ".join(f"{k} {v}" for k, v in summary["by_emotion"].items()) or "none"
    lines.append(
        f"session {session_id}: {summary['expressions']} expressions ({summary['micro']} micro, "
        f"{summary['macro']} macro; {emotions}); stored as the offline set"
    )
    if guided:
        lines.append(
            f"{len(guided)} of them answered a guided contraction (electrode check, calibration)"
        )
    if report is not None:
        overall = report.overall
        f1 = "n/a" if overall.f1 is None else f"{overall.f1:.2f}"
        lines.append(
            f"AU validation ({report.alignment}): {overall.matched} of {overall.au_events} AU "
            f"events matched, F1 {f1}, {len(report.confirmed_micro)} micro-expressions "
            "confirmed by the video"
        )
    return "\n".join(lines)
