"""`microexp reprocess SESSION`: re-filter a stored session, classify it, detect its expressions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import (
    add_database_option,
    add_hop_option,
    add_json_option,
    add_mains_option,
    add_model_option,
    add_session_argument,
)

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `reprocess` command and its options."""
    parser = subcommands.add_parser(
        "reprocess",
        help="re-filter a stored session, classify it with a model and detect its expressions "
        "(stored as the offline set, as `microexpressions` does)",
    )
    add_session_argument(parser)
    add_database_option(parser)
    add_model_option(parser, help="the model to classify with (its card beside it)", required=True)
    add_hop_option(parser)
    add_mains_option(parser)
    parser.add_argument(
        "--replace", action="store_true", help="replace this model's earlier predictions"
    )
    parser.add_argument(
        "--no-expressions",
        dest="expressions",
        action="store_false",
        help="classify only; leave the session's offline expressions as they are",
    )
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Reprocess the session and print what was stored."""
    from microexp_tui.analysis.reprocess import reprocess_session

    defaults = OperatorDefaults()
    result = reprocess_session(
        defaults.database_path(args.db),
        args.session,
        args.model,
        mains_hz=defaults.mains_hz(args.mains_hz),
        hop_ms=args.hop_ms,
        replace=args.replace,
        expressions=args.expressions,
        detection_mains_hz=args.mains_hz,
    )
    if args.json:
        print(json.dumps(result.as_json()))
        return 0
    print(
        f"session {result.session_id}: {result.predictions} predictions by {result.model_id} "
        f"stored beside {len(result.prediction_runs) - 1} other run(s); "
        + ", ".join(f"{label} {count}" for label, count in result.labels.items())
    )
    if result.expressions is not None:
        found = result.expressions
        print(
            f"{found['expressions']} expressions ({found['micro']} micro, {found['macro']} "
            "macro) stored as the offline set"
        )
    if result.expressions_skipped is not None:
        print(f"warning: expressions not detected: {result.expressions_skipped}", file=sys.stderr)
    return 0
