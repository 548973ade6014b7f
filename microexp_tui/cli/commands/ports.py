"""`microexp ports`: list serial ports, Arduino Mega 2560 boards first."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from microexp_tui.cli.options import add_json_option

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `ports` command and its options."""
    parser = subcommands.add_parser("ports", help="list serial ports (Arduino Mega 2560 first)")
    add_json_option(parser, help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print each port's label (or JSON), or say how to record without one."""
    from microexp_tui.device.transport import list_serial_ports

    ports = list_serial_ports()
    if args.json:
        print(json.dumps([vars(port) | {"label": port.label} for port in ports]))
        return 0
    for port in ports:
        print(port.label)
    if not ports:
        print("no serial ports found (use `microexp record --simulate`)")
    return 0
