"""`microexp tui` (and `microexp` alone in a terminal): open the operator app."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from microexp_tui.cli.options import add_board_options, add_database_option

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `tui` command and its options."""
    parser = subcommands.add_parser(
        "tui", help="open the operator app (the default with no command)"
    )
    add_database_option(parser)
    add_board_options(
        parser,
        port_help="preselect this serial port or simulator link",
        simulate_help="preselect the simulated board",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Open the app with the given database and board preselection."""
    return open_app(args.db, args.simulate, args.port)


def run_without_command(parser: argparse.ArgumentParser) -> int:
    """`microexp` alone: the app in a terminal, else the help and why the app did not open."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        parser.print_help()
        print("\nNo terminal to open the operator app in; run `microexp` in a terminal.")
        return 0
    return open_app(None, False, None)


def owner_only_log_file() -> Path:
    """The operator app's log in the data folder, created or tightened owner-only (0600):
    its messages can name sessions and files, like the database beside it."""
    from microexp_tui.paths import data_dir, tighten_to_owner

    log_path = data_dir() / "microexp-tui.log"
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path.touch(mode=0o600)
    tighten_to_owner(log_path)
    return log_path


def open_app(db: Path | None, simulate: bool, port: str | None) -> int:
    """Run the operator app; logs go to a file so they never draw over the screen."""
    log_path = owner_only_log_file()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        filename=log_path,
        force=True,
    )
    from microexp_tui.tui.app import make_app

    app = make_app(db, port=port, simulate=simulate, log_path=log_path)
    try:
        app.run()
    finally:
        app.shutdown()
    return 0
