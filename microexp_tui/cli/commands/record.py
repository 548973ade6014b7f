"""`microexp record`: record a session headlessly into the database and print its summary."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import (
    add_board_options,
    add_database_option,
    add_hop_option,
    add_json_option,
    add_live_model_options,
    add_mains_option,
    positive_float,
)
from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.domain.sessions import TEST_PARTICIPANT_CODE, TEST_PARTICIPANT_LABEL
from microexp_tui.errors import ExitCode
from microexp_tui.schema.arguments import seed_number

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def add_parser(subcommands: Subcommands) -> None:
    """The `record` command and its options."""
    parser = subcommands.add_parser("record", help="record a session headlessly into the database")
    add_board_options(
        parser,
        port_help="serial device path or pyserial URL of the board "
        "(default: the first Arduino Mega 2560 found, else the simulated board)",
        simulate_help="record from the simulated board (real time)",
    )
    add_database_option(parser)
    parser.add_argument(
        "--duration-s",
        type=positive_float,
        required=True,
        help="seconds of signal: the recording ends at duration x rate samples (start-up "
        "does not count)",
    )
    parser.add_argument(
        "--participant",
        help="participant code (created when new; default: the one test participant "
        f"{TEST_PARTICIPANT_CODE}, which exports leave out)",
    )
    parser.add_argument("--protocol", help="stimulus protocol name or .toml file")
    parser.add_argument(
        "--seed",
        type=seed_number,
        help="seed of the protocol's stimulus order (default: the settings' protocol_seed, "
        "else a new one per session; a protocol file's own seed comes first)",
    )
    parser.add_argument("--operator", help="operator name (kept out of exports)")
    add_mains_option(parser)
    parser.add_argument(
        "--baud", type=int, default=None, help="baud rate (default 500000; 9600 with --legacy)"
    )
    parser.add_argument(
        "--rate-hz",
        type=int,
        help="set the board's sample rate (250-2000); not with --legacy, whose rate is measured",
    )
    parser.add_argument(
        "--channels",
        type=int,
        help="set the board's channel count (1-16); with --legacy, the values per line "
        "(default: as the sketch's first lines show)",
    )
    parser.add_argument(
        "--legacy",
        action="store_true",
        help="board runs the article's CSV sketch (`millis,v1,...,v8` lines, 9600 baud): its "
        "millis is the clock, the rate is measured",
    )
    parser.add_argument("--sim-mode", choices=SENSOR_KINDS, default="envelope")
    parser.add_argument("--sim-seed", type=int, default=1)
    add_live_model_options(
        parser,
        help="classify emotions live with this model; it must fit the board's channels, "
        "sensor kinds and rate, else exit 6 (default: the operator settings' live model, "
        "the shipped cnn_window unless set there, which is left out with a message where "
        "it does not fit)",
    )
    add_hop_option(parser)
    add_json_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Record --duration-s seconds of signal; exit code 6 when a chosen model does not load
    or fit, 4 when no valid sample came (status `empty`), 5 on a store error."""
    from microexp_tui.domain.sessions import EMPTY_STATUS
    from microexp_tui.session_flow.headless import run_recording

    defaults = OperatorDefaults()
    database = defaults.database_path(args.db)
    mains_hz = defaults.mains_hz(args.mains_hz)
    model = defaults.live_model(args.model, args.no_model)
    port, simulate = _board(args.port, args.simulate)
    summary = run_recording(
        port=port,
        simulate=simulate,
        database=database,
        duration_s=args.duration_s,
        participant_code=args.participant,
        protocol_name=args.protocol,
        operator=args.operator,
        mains_hz=mains_hz,
        baud=args.baud,
        legacy=args.legacy,
        sim_args=["--mode", args.sim_mode, "--seed", str(args.sim_seed)],
        model_path=model.path,
        model_required=model.required,
        hop_ms=args.hop_ms,
        sample_rate_hz=args.rate_hz,
        channels=args.channels,
        protocol_seed=defaults.protocol_seed(args.seed),
        on_model_problem=_say_model_problem,
    )
    out = summary.as_json()
    if not args.participant:
        print(
            f"no --participant: recorded for {summary.participant_code}, the "
            f"{TEST_PARTICIPANT_LABEL.lower()}; exports leave it out",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(out))
    else:
        _print_summary(out)
    if summary.status == EMPTY_STATUS:
        return int(ExitCode.PROTOCOL)
    return 0 if summary.error is None else int(ExitCode.STORE)


def _say_model_problem(problem: str) -> None:
    """Tell the operator, as the recording starts, why it runs without live classification."""
    print(f"recording without live classification: {problem}", file=sys.stderr, flush=True)


def _board(port: str | None, simulate: bool) -> tuple[str | None, bool]:
    """The port to record from: the given one, else the first board found, else the simulator."""
    if port is not None or simulate:
        return port, simulate
    from microexp_tui.device.transport import find_board_port

    found = find_board_port()
    print(
        f"recording from {found}"
        if found
        else "no board found: recording from the simulated board",
        file=sys.stderr,
    )
    return found, found is None


def _print_summary(out: dict[str, Any]) -> None:
    """Human-readable recording summary."""
    print(
        f"session {out['session_id']} ({out['participant_code']}): {out['status']}, "
        f"{out['samples_per_channel']} samples x {out['channels']} channels at "
        f"{out['sample_rate_hz']:g} Hz{' [SIMULATED]' if out['simulated'] else ''}"
    )
    print(
        f"frames {out['frames']}, CRC errors {out['crc_errors']}, gaps {out['sequence_gaps']}, "
        f"lost samples {out['lost_samples']}, queue overflows {out['queue_overflows']}, "
        f"reconnects {out['reconnects']}"
    )
    if out["error"]:
        print(f"error: {out['error']}", file=sys.stderr)
