"""Options several commands share, each defined once; a command passes its own help and default.

Nothing here imports more than argparse and pathlib, so building the parser stays light.
Defaults that come from the operator settings are `None` here and resolved when the command
runs (`microexp_tui.cli.defaults`), so an explicit option always wins.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

from microexp_tui.schema.arguments import positive_float, user_path

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    """What `ArgumentParser.add_subparsers` returns: where a command adds its parser."""

MAINS_CHOICES_HZ = (50.0, 60.0)
MAINS_FILTER_HELP = "power-line frequency the filters notch (default: the operator settings')"
DEFAULT_HOP_MS = 100.0


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """`--db PATH`: the session database, by default the one the operator app uses."""
    parser.add_argument(
        "--db",
        type=user_path,
        metavar="PATH",
        help="session database (default: sessions.sqlite in the operator settings' data folder)",
    )


def add_mains_option(parser: argparse.ArgumentParser, help: str = MAINS_FILTER_HELP) -> None:
    """`--mains-hz 50|60`: a filter setting for most commands, metadata for `export`."""
    parser.add_argument(
        "--mains-hz", type=float, choices=MAINS_CHOICES_HZ, metavar="{50,60}", help=help
    )


def add_json_option(parser: argparse.ArgumentParser, help: str = "print one JSON object") -> None:
    """`--json`: machine-readable output on stdout instead of the human summary."""
    parser.add_argument("--json", action="store_true", help=help)


def add_model_option(parser: argparse.ArgumentParser, help: str, *, required: bool = False) -> None:
    """`--model FILE.onnx`: an exported emotion model (its card beside it)."""
    parser.add_argument(
        "--model", type=user_path, metavar="FILE.onnx", required=required, help=help
    )


def add_live_model_options(parser: argparse.ArgumentParser, help: str) -> None:
    """`--model FILE.onnx | --no-model`: the live model, or none (one or the other)."""
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--model", type=user_path, metavar="FILE.onnx", help=help)
    choice.add_argument(
        "--no-model",
        action="store_true",
        help="record without live classification (whatever the settings say)",
    )


def add_hop_option(parser: argparse.ArgumentParser) -> None:
    """`--hop-ms MS`: sample time between two classifications of a model."""
    parser.add_argument(
        "--hop-ms",
        type=positive_float,
        default=DEFAULT_HOP_MS,
        help=f"classification hop in ms of sample time (default {DEFAULT_HOP_MS:.0f})",
    )


def add_session_argument(parser: argparse.ArgumentParser) -> None:
    """The positional SESSION id of a stored session."""
    parser.add_argument("session", type=int, help="session id (see `microexp sessions`)")


def add_board_options(
    parser: argparse.ArgumentParser, *, port_help: str, simulate_help: str
) -> None:
    """`--port PORT | --simulate`: which board to use (one or the other)."""
    board = parser.add_mutually_exclusive_group()
    board.add_argument("--port", help=port_help)
    board.add_argument("--simulate", action="store_true", help=simulate_help)


def add_dataset_options(parser: argparse.ArgumentParser) -> None:
    """`--dataset` and the `--participants` / `--sessions` that narrow it (train, evaluate)."""
    parser.add_argument(
        "--dataset",
        type=user_path,
        required=True,
        help="folder of labelled CSV files (seed layout or dataset.toml), a CSV file, or a "
        "session database",
    )
    parser.add_argument("--participants", nargs="+", help="use only these participants")
    parser.add_argument("--sessions", nargs="+", type=int, help="session ids (session database)")


def add_force_reason_option(parser: argparse.ArgumentParser) -> None:
    """`--force-reason TEXT`: go ahead although the audit log is broken (the reason is logged)."""
    parser.add_argument(
        "--force-reason",
        metavar="TEXT",
        help="run even though the database's audit log is broken (see `microexp audit "
        "verify`); TEXT, why, is recorded in the audit log",
    )


def say_warnings_and_new_secret(
    warnings: Sequence[str], secret_created: bool, secret_path: object
) -> None:
    """Print a labelled run's warnings, and the new site secret's place, on stderr (export
    and trial tables both key their labels with the site secret)."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if secret_created:
        print(
            f"created a new site secret at {secret_path}; keep it (labels depend on it)",
            file=sys.stderr,
        )
