"""`microexp export`: an anonymised dataset export (BIDS EMG, Parquet, CSV), or `export verify`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import (
    add_database_option,
    add_force_reason_option,
    add_json_option,
    add_mains_option,
    say_warnings_and_new_secret,
)
from microexp_tui.errors import InputError
from microexp_tui.schema.arguments import positive_int, user_path

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `export` command, its options and its `export verify DIR` form."""
    parser = subcommands.add_parser(
        "export", help="anonymised dataset export (BIDS EMG, Parquet, CSV); `export verify DIR`"
    )
    add_database_option(parser)
    parser.add_argument("--out", type=user_path, help="new folder to create for the export")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--session", type=int, nargs="+", help="session ids to export")
    which.add_argument("--all", action="store_true", help="every finished session (default)")
    parser.add_argument("--format", choices=("bids", "parquet", "csv"), default="bids")
    parser.add_argument(
        "--include-test-participants",
        action="store_true",
        help="also export the sessions of test participants (the TEST participant of "
        "headless `record`), which are left out by default",
    )
    parser.add_argument(
        "--secret-file",
        type=user_path,
        help="site secret for the pseudonyms (default: export-secret.key in the data dir, "
        "created 0600 on first use; keep it to get the same labels next time)",
    )
    parser.add_argument(
        "--dataset-template",
        metavar="NAME|FILE",
        help="BIDS dataset metadata (authors, licence, funding, ethics approvals, README "
        "text, institution, electrodes): a name from templates/datasets or a .toml file "
        "(default: templates/datasets/default.toml, placeholders)",
    )
    parser.add_argument(
        "--k", type=positive_int, default=5, help="k-anonymity threshold (default 5)"
    )
    add_mains_option(
        parser, help="power-line frequency to declare for sessions that did not store one"
    )
    add_force_reason_option(parser)
    add_json_option(parser)
    verify = parser.add_subparsers(dest="export_command", metavar="verify").add_parser(
        "verify", help="recheck an export against its SHA-256 manifest"
    )
    verify.add_argument("folder", type=user_path, help="the export folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the export (or verify one) and print what was done."""
    if args.export_command == "verify":
        return _verify(args.folder)
    if args.out is None:
        raise InputError("export needs --out DIR (a new folder), or `export verify DIR`.")
    from microexp_tui.export import export_sessions

    defaults = OperatorDefaults()
    report = export_sessions(
        defaults.database_path(args.db),
        args.out,
        args.session,
        args.format,
        args.secret_file,
        _progress,
        k=args.k,
        power_line_hz=args.mains_hz,
        dataset_template=args.dataset_template,
        force_reason=args.force_reason,
        response_rule=defaults.settings.response_rule(),
        include_test_participants=args.include_test_participants,
    )
    say_warnings_and_new_secret(report.warnings, report.secret_created, report.secret_path)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        print(
            f"exported {len(report.sessions)} session(s) to {report.out_dir} ({report.fmt}): "
            f"{report.files} files, {report.bytes / 1e6:.1f} MB in {report.elapsed_s:.1f} s"
        )
    return 0


def _verify(folder: Path) -> int:
    """Recheck an export's files against its manifest; InputError listing what differs."""
    from microexp_tui.export import verify

    checked = verify(folder)
    if not checked.ok:
        raise InputError(
            f"{folder} does not match its manifest:\n  " + "\n  ".join(checked.problems())
        )
    print(f"OK: {checked.checked} files of {folder} match its manifest")
    return 0


def _progress(done: int, total: int, message: str) -> None:
    """Progress lines on stderr when a person is watching."""
    if sys.stderr.isatty():
        print(f"[{done}/{total}] {message}", file=sys.stderr)
