"""The commands of `microexp`, in the order `microexp --help` lists them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Protocol

from microexp_tui.cli.commands import (
    audit,
    export,
    import_recordings,
    microexpressions,
    ports,
    record,
    report,
    reprocess,
    sessions,
    simulate,
    train_evaluate,
    trials,
    tui,
)

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


class CommandModule(Protocol):
    """A command module: it adds its parser (which names its `run`) and runs parsed options."""

    def add_parser(self, subcommands: Subcommands) -> None:
        """Add the command's subparser; `set_defaults(run=run)` makes it dispatchable."""

    def run(self, args: argparse.Namespace) -> int:
        """Do what the command line asked; the process exit code."""


COMMANDS: tuple[CommandModule, ...] = (
    record,
    sessions,
    tui,
    ports,
    train_evaluate,
    reprocess,
    export,
    trials,
    import_recordings,
    report,
    audit,
    microexpressions,
    simulate,
)
