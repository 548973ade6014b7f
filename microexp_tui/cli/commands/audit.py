"""`microexp audit verify`: recheck every row of a database's hash-chained audit log."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import add_database_option, add_json_option
from microexp_tui.errors import ExitCode, InputError

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands
    from microexp_tui.store.audit_checkpoint import ChainReport


def add_parser(subcommands: Subcommands) -> None:
    """The `audit` command and its `verify` form."""
    parser = subcommands.add_parser("audit", help="check the database's audit log: `audit verify`")
    actions = parser.add_subparsers(dest="audit_command", metavar="verify", required=True)
    verify = actions.add_parser(
        "verify",
        help="recheck every audit entry's hash chain (exit 0 intact, 5 broken, naming the row)",
    )
    add_database_option(verify)
    add_json_option(verify)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Verify the whole chain; print the verdict; exit 5 when it is broken."""
    from microexp_tui.store.sessions import SessionStore

    path = _existing_database(OperatorDefaults().database_path(args.db))
    with SessionStore.open(path) as store:
        report = store.verify_audit_log()
    if args.json:
        print(json.dumps(report_json(path, report)))
    else:
        print(report_line(path, report))
    return int(ExitCode.OK if report.intact else ExitCode.STORE)


def _existing_database(path: Path) -> Path:
    """The database path, which must exist (opening a missing one would create it)."""
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise InputError(f"No session database at {resolved}; pass --db with its path.")
    return resolved


def report_json(path: Path, report: ChainReport) -> dict[str, object]:
    """The `--json` object: the verdict and, when broken, the first broken row."""
    broken = report.broken
    return {
        "database": str(path),
        "intact": report.intact,
        "entries": report.entries,
        "checked": report.checked,
        "first_broken_row": broken.row_id if broken else None,
        "action": broken.action if broken else None,
        "at": broken.at if broken else None,
        "reason": broken.reason if broken else None,
    }


def report_line(path: Path, report: ChainReport) -> str:
    """The human verdict."""
    if report.broken is None:
        return f"OK: the audit log of {path} is intact ({report.entries} entries checked)"
    return (
        f"BROKEN: the audit log of {path} fails at {report.broken.describe()}. "
        "Entries from that row on cannot be trusted; keep a copy of the file and tell the "
        "person responsible for the study data."
    )
