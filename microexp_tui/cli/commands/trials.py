"""`microexp trials`: trial-level EMG tables (long, wide, summary) for R, SPSS and DuckDB."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import add_json_option, say_warnings_and_new_secret
from microexp_tui.errors import InputError
from microexp_tui.schema.arguments import finite_float, positive_float, positive_int, user_path

if TYPE_CHECKING:
    from microexp_tui.analysis.trials.options import TrialOptions
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `trials` command and its options."""
    parser = subcommands.add_parser(
        "trials",
        help="trial tables: baseline-corrected EMG per trial, muscle and time bin "
        "(CSV/TSV/Parquet for R, SPSS, DuckDB)",
    )
    parser.add_argument("session", type=positive_int, nargs="*", help="session ids (one --db)")
    parser.add_argument("--all", action="store_true", help="every finished session")
    parser.add_argument(
        "--db",
        action="append",
        metavar="PATH[=SITE]",
        help="a station's session database, repeatable; SITE names the station (default: "
        "the file name without its extension); default: the operator app's database",
    )
    for name, what in (("baseline", "pre-stimulus baseline"), ("window", "response window")):
        parser.add_argument(
            f"--{name}-s",
            type=finite_float,
            nargs=2,
            metavar=("A", "B"),
            help=f"{what}, seconds from onset (default: the trials settings)",
        )
    parser.add_argument("--bin-ms", type=positive_float, help="time bin width, ms")
    parser.add_argument(
        "--exclude-sd", type=positive_float, help="exclude changes beyond K SD (default 3.5)"
    )
    parser.add_argument("--format", choices=("csv", "tsv", "parquet"), default="csv")
    parser.add_argument("--wide", action="store_true", help="one row per trial (for SPSS)")
    parser.add_argument(
        "--partitioned",
        action="store_true",
        help="with --format parquet: -o is a new folder, hive-partitioned "
        "site=/participant=/session= (DuckDB, Spark, arrow read it directly)",
    )
    parser.add_argument(
        "--secret-file",
        type=user_path,
        help="site secret of the participant labels (as `microexp export`; default: "
        "export-secret.key in the data dir)",
    )
    parser.add_argument(
        "--local-codes",
        action="store_true",
        help="label participants by the station's codes (in-lab use; not for sharing)",
    )
    parser.add_argument(
        "--include-test-participants", action="store_true", help="also test participants"
    )
    parser.add_argument("-o", "--out", type=user_path, required=True, help="table to write")
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the tables and print what was written."""
    from microexp_tui.export.trial_tables import (
        Station,
        TrialRequest,
        default_site,
        parse_station,
        write_trial_tables,
    )

    if bool(args.session) == bool(args.all):
        raise InputError("Name the sessions (SESSION ...) or pass --all, not both or neither.")
    defaults = OperatorDefaults()
    if args.db:
        stations = tuple(parse_station(text, user_path) for text in args.db)
    else:
        path = defaults.database_path(None)
        stations = (Station(path, default_site(path)),)
    request = TrialRequest(
        stations=stations,
        out=args.out,
        options=_options(args, defaults),
        session_ids=tuple(args.session) if args.session else None,
        fmt=args.format,
        wide=args.wide,
        partitioned=args.partitioned,
        secret_file=args.secret_file,
        local_codes=args.local_codes,
        include_test_participants=args.include_test_participants,
    )
    report = write_trial_tables(request)
    say_warnings_and_new_secret(report.warnings, report.secret_created, report.secret_path)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        excluded = sum(report.excluded.values())
        print(
            f"wrote {report.rows} rows ({report.trials} trials, {excluded} muscle exclusions) "
            f"of {report.sessions} session(s) at {len(report.sites)} site(s): "
            + ", ".join(str(p) for p in report.files)
        )
    return 0


def _options(args: argparse.Namespace, defaults: OperatorDefaults) -> TrialOptions:
    """TrialOptions from the settings' trials section, overridden by the options given."""
    from pydantic import ValidationError

    from microexp_tui.analysis.trials.options import TrialOptions
    from microexp_tui.schema.problems import invalid, problems_of

    given = {
        "baseline_s": args.baseline_s,
        "window_s": args.window_s,
        "bin_ms": args.bin_ms,
        "exclude_sd": args.exclude_sd,
    }
    values = defaults.settings.trials.model_dump() | {
        k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if v is not None
    }
    try:
        return TrialOptions(**values)
    except ValidationError as err:
        raise invalid(
            "Trial options", problems_of(err, TrialOptions), "Fix the option.", "option"
        ) from None
