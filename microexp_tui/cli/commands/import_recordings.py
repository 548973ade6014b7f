"""`microexp import PATH`: BIDS-EMG datasets and EDF/BDF files stored as imported sessions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import add_database_option, add_json_option
from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.errors import ExitCode
from microexp_tui.schema.arguments import user_path

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands
    from microexp_tui.ingest import ImportReport


def add_parser(subcommands: Subcommands) -> None:
    """The `import` command and its options."""
    parser = subcommands.add_parser(
        "import",
        help="import a BIDS-EMG dataset or an EDF/BDF file as sessions",
        description="Store each EMG recording at PATH (a BIDS-EMG dataset root, subject or "
        "session folder, or one EDF/EDF+/BDF/BDF+ file) as one session of status 'imported'. "
        "Exit code 7 when any recording was refused (the others are still imported).",
    )
    parser.add_argument(
        "path", type=user_path, metavar="PATH", help="BIDS-EMG folder or EDF/BDF file"
    )
    add_database_option(parser)
    parser.add_argument(
        "--participant",
        metavar="CODE",
        help="pseudonymous participant code (needed for a file without a sub-<label>)",
    )
    parser.add_argument(
        "--participant-prefix",
        metavar="PREFIX",
        default="",
        help="put PREFIX before every sub- label (e.g. labA-), so that another dataset's "
        "sub-01 does not become a participant already in the database",
    )
    parser.add_argument(
        "--sensor-kind",
        choices=SENSOR_KINDS,
        help="what every channel records (default: from channels.tsv descriptions, else raw)",
    )
    add_json_option(parser, help="print the created session ids and details as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Import, print what was stored, refused and skipped; exit 7 if anything was refused."""
    from microexp_tui.ingest import import_path
    from microexp_tui.store.sessions import SessionStore

    with SessionStore.open(OperatorDefaults().database_path(args.db)) as store:
        report = import_path(
            args.path,
            store,
            participant=args.participant,
            sensor_kind=args.sensor_kind,
            participant_prefix=args.participant_prefix,
        )
    _print(report, as_json=args.json)
    return int(ExitCode.INPUT) if report.refused else 0


def _print(report: ImportReport, *, as_json: bool) -> None:
    """The report: JSON on stdout, or a line per session with warnings on stderr."""
    for session in report.sessions:
        for warning in session.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    for file, reason in report.refused:
        print(f"refused {file}: {reason}", file=sys.stderr)
    if as_json:
        print(json.dumps(report.as_json()))
        return
    for s in report.sessions:
        extra = (
            f", {s.events_outside} outside the recording (not stored)" if s.events_outside else ""
        )
        gaps = f", {s.gaps} gap(s)" if s.gaps else ""
        print(
            f"session {s.session_id}: {s.source} -> participant {s.participant}, {s.channels} "
            f"EMG channel(s) @ {s.sample_rate_hz:g} Hz in {'/'.join(s.units)}, "
            f"{s.samples / s.sample_rate_hz:.1f} s, {s.events} event(s){extra}{gaps}"
        )
        if s.skipped_channels:
            print(f"  skipped channels: {', '.join(s.skipped_channels)}")
    for file, session_id in report.already:
        print(f"{file}: already imported from identical files as session {session_id}")
    if report.skipped:
        print(f"skipped (not EMG): {', '.join(report.skipped)}")
    print(
        f"imported {len(report.sessions)} recording(s)"
        + (f", {len(report.already)} imported before" if report.already else "")
        + (f", refused {len(report.refused)}" if report.refused else "")
    )
