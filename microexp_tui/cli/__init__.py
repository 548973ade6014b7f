"""The `microexp` command line: one parser built from the command registry, one error policy.

`build_parser` imports only what argparse needs, so `microexp --help` and
`microexp COMMAND --help` stay quick; a command imports its heavy modules when it runs.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Sequence

from microexp_tui import installed_version
from microexp_tui.cli.commands import tui
from microexp_tui.cli.registry import COMMANDS
from microexp_tui.errors import ExitCode, MicroexpError


class _PrintVersion(argparse.Action):
    """`--version`: the installed version, read only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        """Print `microexp-tui VERSION` and exit."""
        print(f"microexp-tui {installed_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="microexp",
        description="Session manager for facial-EMG emotion and micro-expression studies. "
        "Defaults (database folder, mains frequency, live model) come from the operator "
        "settings the app edits; an option given here wins.",
    )
    parser.add_argument(
        "--version", action=_PrintVersion, nargs=0, help="show program's version number and exit"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `microexp` console script: parse, run the command, map errors."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command is None:
            return tui.run_without_command(parser)
        exit_code: int = args.run(args)
        sys.stdout.flush()
        return exit_code
    except MicroexpError as err:
        print(f"error: {err}", file=sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return _reader_went_away()
    except OSError as err:
        print(f"error: {os_error_message(err)}", file=sys.stderr)
        return int(ExitCode.INPUT)


def os_error_message(err: OSError) -> str:
    """An operating-system failure as a sentence: what failed, on which path, what to do."""
    where = f" at {err.filename}" if err.filename else ""
    reason = err.strerror or str(err)
    if err.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space and run the command again."
    return f"{reason}{where}: check the path and its permissions, then run the command again."


def _reader_went_away() -> int:
    """Stdout's reader closed the pipe (`| head`): stop quietly, as other Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return int(ExitCode.OK)
