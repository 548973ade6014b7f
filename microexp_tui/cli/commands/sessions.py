"""`microexp sessions`: list the recorded sessions of a database."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import add_database_option, add_json_option

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands
    from microexp_tui.readmodels.session_summary import SessionSummary


def add_parser(subcommands: Subcommands) -> None:
    """The `sessions` command and its options."""
    parser = subcommands.add_parser("sessions", help="list recorded sessions")
    add_database_option(parser)
    add_json_option(parser, help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print one line (or one JSON object) per session."""
    from microexp_tui.readmodels.session_summary import summaries_of_database

    summaries = summaries_of_database(OperatorDefaults().database_path(args.db))
    if args.json:
        print(json.dumps([summary.as_json() for summary in summaries]))
        return 0
    if not summaries:
        print("no sessions")
    for summary in summaries:
        print(session_line(summary))
    return 0


def session_line(summary: SessionSummary) -> str:
    """One session as a line of the listing."""
    return (
        f"{summary.session_id:>5}  {summary.participant_code:<10} {summary.status:<12} "
        f"{summary.started_at}  {summary.duration_s:>8.1f} s  "
        f"{summary.channels} ch @ {summary.sample_rate_hz:g} Hz"
        f"{'  SIMULATED' if summary.simulated else ''}"
        f"{'  IMPORTED' if summary.source != 'board' else ''}"
        f"{'  TEST PARTICIPANT' if summary.test_participant else ''}"
    )
