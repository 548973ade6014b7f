"""`microexp ports`: list serial ports, known boards (Arduino Mega 2560 first) apart."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from microexp_tui.cli.options import add_json_option

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands
    from microexp_tui.device.transport import PortInfo


def add_parser(subcommands: Subcommands) -> None:
    """The `ports` command and its options."""
    parser = subcommands.add_parser(
        "ports",
        help="list serial ports: known boards (Arduino Mega 2560 first), then other ports; "
        "no port is opened",
    )
    add_json_option(parser, help="print JSON")
    parser.set_defaults(run=run)


def port_lines(ports: list[PortInfo]) -> list[str]:
    """Known boards, then other serial ports with what the system says of them."""
    from microexp_tui.device.transport import port_groups

    if not ports:
        return ["no serial ports found (use `microexp record --simulate`)"]
    known, other = port_groups(ports)
    lines = ["Known boards:"]
    lines += [f"  {port.label}" for port in known] or ["  none found"]
    if other:
        lines.append("Other serial ports (not a board this program knows):")
        lines += [f"  {port.device}: {port.system_says}" for port in other]
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the ports in their groups (or JSON), or say how to record without one."""
    from microexp_tui.device.transport import list_serial_ports

    ports = list_serial_ports()
    if args.json:
        print(
            json.dumps(
                [
                    vars(port)
                    | {
                        "label": port.label,
                        "group": "known" if port.known_board else "other",
                        "system_says": port.system_says,
                    }
                    for port in ports
                ]
            )
        )
        return 0
    print("\n".join(port_lines(ports)))
    return 0
