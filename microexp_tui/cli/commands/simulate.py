"""`microexp simulate`: run the simulated board on a pseudo-terminal (prints its path)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from microexp_tui.simulator.options import add_simulator_options

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `simulate` command, with the options `python -m microexp_tui.simulator` takes."""
    parser = subcommands.add_parser(
        "simulate", help="run the simulated board on a pseudo-terminal (prints its path)"
    )
    add_simulator_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve the board until stopped, or write the scenario's AU file with --au-csv."""
    from microexp_tui.simulator.serve import run_simulator

    return run_simulator(args)
