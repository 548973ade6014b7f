"""The `microexp` command line: record, simulate, list sessions and ports."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microexp_tui import __version__
from microexp_tui.errors import ExitCode, InputError, MicroexpError

log = logging.getLogger("microexp")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="microexp",
        description="Session manager for facial-EMG emotion and micro-expression studies.",
    )
    parser.add_argument("--version", action="version", version=f"microexp-tui {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    record = sub.add_parser("record", help="record a session headlessly into the database")
    where = record.add_mutually_exclusive_group()
    where.add_argument(
        "--port",
        help="serial device path or pyserial URL of the board "
        "(default: the first Arduino Mega 2560 found, else the simulated board)",
    )
    where.add_argument(
        "--simulate", action="store_true", help="record from the simulated board (real time)"
    )
    record.add_argument("--db", type=Path, help="session database (default: user data dir)")
    record.add_argument("--duration-s", type=float, required=True, help="wall-clock seconds")
    record.add_argument("--participant", help="participant code (created when new)")
    record.add_argument("--protocol", help="stimulus protocol name or .toml file")
    record.add_argument("--operator", help="operator name (kept out of exports)")
    record.add_argument("--mains-hz", type=float, default=50.0, choices=(50.0, 60.0))
    record.add_argument("--baud", type=int, default=None, help="baud rate (default 500000)")
    record.add_argument(
        "--legacy", action="store_true", help="board runs the article's CSV sketch (9600 baud)"
    )
    record.add_argument("--sim-mode", choices=("envelope", "raw"), default="envelope")
    record.add_argument("--sim-seed", type=int, default=1)
    record.add_argument("--json", action="store_true", help="print one JSON object")

    sessions = sub.add_parser("sessions", help="list recorded sessions")
    sessions.add_argument("--db", type=Path, help="session database (default: user data dir)")
    sessions.add_argument("--json", action="store_true", help="print JSON")

    ports = sub.add_parser("ports", help="list serial ports (Arduino Mega 2560 first)")
    ports.add_argument("--json", action="store_true", help="print JSON")

    simulate = sub.add_parser(
        "simulate", help="run the simulated board on a pseudo-terminal (prints its path)"
    )
    from microexp_tui.device.simulator import cli as simulator_cli

    simulator_cli.add_arguments(simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `microexp` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return _dispatch(parser, args)
    except MicroexpError as err:
        print(f"error: {err}", file=sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the chosen subcommand."""
    if args.command == "record":
        return _record(args)
    if args.command == "sessions":
        return _sessions(args)
    if args.command == "ports":
        return _ports(args)
    if args.command == "simulate":
        from microexp_tui.device.simulator import cli as simulator_cli

        return simulator_cli.run(args)
    parser.print_help()
    print(
        "\nThe operator TUI is not built yet (issue 5); `microexp record --duration-s 10` "
        "records from the board, or from the simulated board when none is plugged in.",
        file=sys.stderr,
    )
    return 0


def _database_path(arg: Path | None) -> Path:
    """The --db path, or the embedded default in the user data directory."""
    from microexp_tui.paths import default_database_path

    return arg if arg is not None else default_database_path()


def _record(args: argparse.Namespace) -> int:
    """`microexp record`: run a headless recording and print its summary."""
    from microexp_tui.acquisition.recording import run_recording

    if args.duration_s <= 0:
        raise InputError("--duration-s must be greater than 0 seconds.")
    port, simulate = args.port, args.simulate
    if port is None and not simulate:
        from microexp_tui.device.transport import find_board_port

        port = find_board_port()
        simulate = port is None
        print(
            f"recording from {port}"
            if port
            else "no board found: recording from the simulated board",
            file=sys.stderr,
        )
    summary = run_recording(
        port=port,
        simulate=simulate,
        database=_database_path(args.db),
        duration_s=args.duration_s,
        participant_code=args.participant,
        protocol_name=args.protocol,
        operator=args.operator,
        mains_hz=args.mains_hz,
        baud=args.baud,
        legacy=args.legacy,
        sim_args=["--mode", args.sim_mode, "--seed", str(args.sim_seed)],
    )
    out = summary.as_json()
    if args.json:
        print(json.dumps(out))
    else:
        _print_summary(out)
    return 0 if summary.error is None else int(ExitCode.STORE)


def _print_summary(out: dict[str, Any]) -> None:
    """Human-readable recording summary."""
    print(
        f"session {out['session_id']} ({out['participant_code']}): {out['status']}, "
        f"{out['samples_per_channel']} samples x {out['channels']} channels at "
        f"{out['sample_rate_hz']} Hz{' [SIMULATED]' if out['simulated'] else ''}"
    )
    print(
        f"frames {out['frames']}, CRC errors {out['crc_errors']}, gaps {out['sequence_gaps']}, "
        f"lost samples {out['lost_samples']}, queue overflows {out['queue_overflows']}, "
        f"reconnects {out['reconnects']}"
    )
    if out["error"]:
        print(f"error: {out['error']}", file=sys.stderr)


def _sessions(args: argparse.Namespace) -> int:
    """`microexp sessions`: list sessions in the database."""
    from microexp_tui.store.sessions import SessionStore

    store = SessionStore.open(_database_path(args.db))
    try:
        rows = [session_summary(record) for record in store.list_sessions()]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no sessions")
    for row in rows:
        print(
            f"{row['session_id']:>5}  {row['participant_code']:<10} {row['status']:<12} "
            f"{row['started_at']}  {row['duration_s']:>8.1f} s  "
            f"{row['channels']} ch @ {row['sample_rate_hz']} Hz"
            f"{'  SIMULATED' if row['simulated'] else ''}"
        )
    return 0


def session_summary(record: Any) -> dict[str, Any]:
    """JSON-ready summary of a SessionRecord."""
    rate = record.sample_rate_hz or 1
    return {
        "session_id": record.id,
        "participant_code": record.participant_code,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "protocol": record.protocol,
        "channels": record.channel_count,
        "sample_rate_hz": record.sample_rate_hz,
        "samples_per_channel": record.samples_per_channel,
        "duration_s": record.samples_per_channel / rate,
        "simulated": bool(record.simulated),
        "counters": record.counters,
    }


def _ports(args: argparse.Namespace) -> int:
    """`microexp ports`: list serial ports, Arduino Mega 2560 first."""
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
