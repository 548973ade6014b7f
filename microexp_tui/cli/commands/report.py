"""`microexp report SESSION -o FILE.pdf`: a clinical-style PDF report of one session."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import (
    add_database_option,
    add_force_reason_option,
    add_json_option,
    add_session_argument,
    user_path,
)
from microexp_tui.report.template_names import PAPERS, TEMPLATES_DIR, available_templates

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands
    from microexp_tui.report.generate import ReportResult


def add_parser(subcommands: Subcommands) -> None:
    """The `report` command and its options."""
    parser = subcommands.add_parser(
        "report", help="write a clinical-style PDF report of one session"
    )
    add_session_argument(parser)
    add_database_option(parser)
    parser.add_argument("-o", "--out", type=user_path, required=True, help="PDF file to write")
    names = ", ".join(available_templates()) or "default"
    parser.add_argument(
        "--template",
        help=f"template name from {TEMPLATES_DIR} ({names}) or a .toml file (default: default)",
    )
    parser.add_argument("--paper", choices=PAPERS, help="paper size (default: the template's)")
    add_force_reason_option(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the report; print where it went (progress on stderr with -v)."""
    from microexp_tui.report.session_report import write_session_report

    explicit = args.db.expanduser().resolve() if args.db else None

    def progress(done: int, total: int, message: str) -> None:
        if args.verbose:
            print(f"[{done}/{total}] {message}", file=sys.stderr)

    defaults = OperatorDefaults()
    result = write_session_report(
        defaults.database_path(explicit),
        args.session,
        args.out,
        args.template,
        args.paper,
        progress,
        args.force_reason,
        defaults.settings.response_rule(),
    )
    print(json.dumps(report_json(result)) if args.json else report_line(result))
    return 0


def report_json(result: ReportResult) -> dict[str, object]:
    """The `--json` object: where the report went and what it holds."""
    return {
        "path": str(result.path),
        "session_id": result.session_id,
        "pages": result.pages,
        "bytes": result.bytes,
        "sha256": result.sha256,
        "template": result.template,
        "paper": result.paper,
        "elapsed_s": round(result.elapsed_s, 3),
    }


def report_line(result: ReportResult) -> str:
    """The human summary line."""
    return (
        f"report of session {result.session_id} written to {result.path} "
        f"({result.pages} pages, {result.bytes / 1e3:.0f} kB, {result.paper}, template "
        f"{result.template}, {result.elapsed_s:.1f} s)"
    )
