"""`microexp microexpressions SESSION`: detect a stored session's expressions offline, list them.

The detection replaces the session's previous offline set in the database; `--aus FILE.csv`
then scores the expressions against a video-coded AU file (OpenFace / py-feat) and stores
that validation too (`--face-id` picks an OpenFace face, `--au-fps` gives frame times).
Human output is a table and a summary; `--json` prints one object.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import (
    add_database_option,
    add_json_option,
    add_mains_option,
    add_model_option,
    add_session_argument,
)
from microexp_tui.errors import InputError
from microexp_tui.schema.arguments import finite_float, positive_float, user_path

if TYPE_CHECKING:
    from microexp_tui.analysis.session_expressions import AuFileRequest, SessionExpressions
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `microexpressions` command and its options."""
    parser = subcommands.add_parser(
        "microexpressions",
        help="detect a stored session's micro- and macro-expressions offline and list them",
    )
    add_session_argument(parser)
    add_database_option(parser)
    parser.add_argument(
        "--aus", type=user_path, help="validate against this OpenFace / py-feat AU file (.csv)"
    )
    parser.add_argument(
        "--face-id",
        type=int,
        metavar="N",
        help="OpenFace face_id of the participant's face in a multi-face AU file "
        "(default: the face tracked in most frames); OpenFace files only",
    )
    parser.add_argument(
        "--au-fps",
        type=positive_float,
        metavar="FPS",
        help="the video's frame rate, for AU files that number frames without times "
        "(py-feat's `frame`)",
    )
    parser.add_argument(
        "--offset-s",
        type=finite_float,
        help="session time (s) of the AU file's time 0 (default: align on the sync marker)",
    )
    parser.add_argument(
        "--tolerance-ms",
        type=positive_float,
        help="largest EMG-to-AU onset distance that counts as a match (default 200)",
    )
    parser.add_argument(
        "--sync-marker",
        type=marker_code,
        help="marker code to align the AU file on (default 0x0400, the trigger input)",
    )
    parser.add_argument(
        "--au-sync-s", type=finite_float, default=0.0, help="time in the AU file of the sync marker"
    )
    add_model_option(parser, help="also classify each expression with this model")
    add_mains_option(parser, help="mains frequency (default: the session's setting, else 50)")
    add_json_option(parser)
    parser.set_defaults(run=run)


def marker_code(text: str) -> int:
    """A marker code given in decimal or 0x hex (argparse names the option when it fails)."""
    return int(text, 0)


def run(args: argparse.Namespace) -> int:
    """Analyse, store, validate if asked, and print."""
    from microexp_tui.analysis.session_expressions import detect_session_expressions

    if args.aus is None and (args.face_id is not None or args.au_fps is not None):
        raise InputError("--face-id and --au-fps say how to read the --aus file; add --aus FILE.")
    found = detect_session_expressions(
        OperatorDefaults().database_path(args.db),
        args.session,
        model_path=args.model,
        mains_hz=args.mains_hz,
        aus=_au_request(args),
    )
    if found.au_file is not None:
        for warning in found.au_file.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(found.as_json()) if args.json else render(found))
    return 0


def _au_request(args: argparse.Namespace) -> AuFileRequest | None:
    """The --aus validation request (alignment by offset or sync marker), None without --aus."""
    if args.aus is None:
        return None
    from microexp_tui.analysis.au_validation import AuAlignmentRequest
    from microexp_tui.analysis.session_expressions import AuFileRequest
    from microexp_tui.expressions.au_import import AuReadOptions

    alignment = AuAlignmentRequest(offset_s=args.offset_s, au_sync_s=args.au_sync_s)
    if args.sync_marker is not None:
        alignment = AuAlignmentRequest(args.offset_s, args.sync_marker, args.au_sync_s)
    reading = AuReadOptions(face_id=args.face_id, fps=args.au_fps)
    return AuFileRequest(args.aus, alignment, args.tolerance_ms, reading)


def render(found: SessionExpressions) -> str:
    """Human-readable table, summary and (with --aus) the validation's overall line."""
    from microexp_tui.analysis.microexpressions import channel_names
    from microexp_tui.analysis.session_expressions import channel_name
    from microexp_tui.study.montages import short_muscle

    names = channel_names(found.record.channels)
    lines = [
        f"{'onset s':>9} {'dur ms':>7} {'kind':<5} {'AUs':<20} {'emotion':<9} {'conf':>4} muscles"
    ]
    for position, x in enumerate(found.expressions):
        muscles = ", ".join(short_muscle(channel_name(names, c)) for c in x.channels)
        muscles += " (guided contraction)" if position in found.guided else ""
        units = "+".join(unit.removeprefix("AU") for unit in x.action_units)
        lines.append(
            f"{x.onset_s:9.3f} {x.duration_ms:7.0f} {x.kind:<5} "
            f"{('AU' + units if units else '-'):<20} {(x.emotion or '?'):<9} "
            f"{x.confidence:4.2f} {muscles}"
        )
    summary = found.counts()
    emotions = ", ".join(f"{k} {v}" for k, v in summary["by_emotion"].items()) or "none"
    lines.append(
        f"session {found.record.id}: {summary['expressions']} expressions "
        f"({summary['micro']} micro, {summary['macro']} macro; {emotions}); "
        "stored as the offline set"
    )
    if found.guided:
        lines.append(
            f"{len(found.guided)} of them answered a guided contraction "
            "(electrode check, calibration)"
        )
    if found.au_file is not None:
        lines.append(found.au_file.describe())
    if found.validation is not None:
        overall = found.validation.overall
        f1 = "n/a" if overall.f1 is None else f"{overall.f1:.2f}"
        lines.append(
            f"AU validation ({found.validation.alignment}): {overall.matched} of "
            f"{overall.au_events} AU events matched, F1 {f1}, "
            f"{len(found.validation.confirmed_micro)} micro-expressions confirmed by the video"
        )
    return "\n".join(lines)
