"""`python -m microexp_tui.simulator`: the simulated board as a standalone process."""

from __future__ import annotations

import argparse
import logging
import sys

from microexp_tui.errors import MicroexpError
from microexp_tui.simulator.options import add_simulator_options


def main(argv: list[str] | None = None) -> int:
    """Parse options, serve the board, turn errors into a message and an exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m microexp_tui.simulator",
        description="Simulated microexp board on a pseudo-terminal (prints its path first).",
    )
    add_simulator_options(parser)
    parser.add_argument("--log-level", default="WARNING", help="stderr log level")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="simulator %(levelname)s: %(message)s",
    )
    from microexp_tui.simulator.serve import run_simulator  # after parsing: --help stays light

    try:
        return run_simulator(args)
    except MicroexpError as err:
        print(f"error: {err}", file=sys.stderr)
        return int(err.exit_code)


if __name__ == "__main__":
    sys.exit(main())
