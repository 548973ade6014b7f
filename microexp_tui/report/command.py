"""`microexp report SESSION --db PATH -o FILE.pdf [--template NAME] [--paper A4|Letter]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from microexp_tui.errors import InputError
from microexp_tui.report.template import PAPERS, TEMPLATES_DIR, available_templates


def add_command(sub: Any) -> None:
    """The `report` subcommand."""
    report = sub.add_parser("report", help="write a clinical-style PDF report of one session")
    report.add_argument("session", type=int, help="session id (see `microexp sessions`)")
    report.add_argument("--db", type=Path, help="session database (default: user data dir)")
    report.add_argument("-o", "--out", type=Path, required=True, help="PDF file to write")
    names = ", ".join(available_templates()) or "default"
    report.add_argument(
        "--template",
        help=f"template name from {TEMPLATES_DIR} ({names}) or a .toml file (default: default)",
    )
    report.add_argument("--paper", choices=PAPERS, help="paper size (default: the template's)")
    report.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    """Write the report; print where it went (progress on stderr with -v)."""
    from microexp_tui.paths import default_database_path
    from microexp_tui.report.generate import check_output, generate_report
    from microexp_tui.report.template import load_template
    from microexp_tui.store.sessions import SessionStore

    check_output(args.out)
    load_template(args.template)
    db_path = args.db.expanduser().resolve() if args.db else default_database_path()
    if not db_path.is_file():
        raise InputError(f"No session database at {db_path}; pass --db with its path.")

    def progress(done: int, total: int, message: str) -> None:
        if args.verbose:
            print(f"[{done}/{total}] {message}", file=sys.stderr)

    with SessionStore.open(db_path) as store:
        result = generate_report(store, args.session, args.out, args.template, args.paper, progress)
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(result.path),
                    "session_id": result.session_id,
                    "pages": result.pages,
                    "bytes": result.bytes,
                    "sha256": result.sha256,
                    "template": result.template,
                    "paper": result.paper,
                    "elapsed_s": round(result.elapsed_s, 3),
                }
            )
        )
    else:
        print(
            f"report of session {result.session_id} written to {result.path} "
            f"({result.pages} pages, {result.bytes / 1e3:.0f} kB, {result.paper}, template "
            f"{result.template}, {result.elapsed_s:.1f} s)"
        )
    return 0
