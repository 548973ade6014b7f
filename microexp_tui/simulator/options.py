"""The simulated board's command-line options, shared by both ways of starting it.

`microexp simulate` and `python -m microexp_tui.simulator` (how the operator app and the
tests start a board in a child process) take exactly these options. This module imports
only argparse and the domain's sensor kinds, so `microexp --help` stays light; the limits
and fault kinds written into the help are the board's (`device.protocol`,
`simulator.faults`), which tests/cli checks against the code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.schema.arguments import positive_float

REPLAY_END_MODES = ("loop", "stop")
"""After the last replayed row: start over, or stop streaming."""


def add_simulator_options(parser: argparse.ArgumentParser) -> None:
    """Define the simulated board's options on `parser`."""
    parser.add_argument(
        "--mode",
        choices=SENSOR_KINDS,
        default="envelope",
        help="sensor kind: envelope (Muscle Sensor V3 SIG) or raw (MyoWare RAW)",
    )
    parser.add_argument(
        "--rate-hz",
        type=int,
        help="power-up sample rate, 250..2000 (default 1000; a replay's rate is --replay-rate-hz)",
    )
    parser.add_argument(
        "--channels",
        type=int,
        default=8,
        help="power-up channel count, 1..16 (default 8)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="TOML scenario: scripted expressions, faults, participant behaviour",
    )
    source.add_argument(
        "--replay",
        type=Path,
        metavar="PATH",
        help="stream the rows of a seed-format CSV, one row per sample (8 ch)",
    )
    parser.add_argument(
        "--replay-rate-hz",
        type=float,
        metavar="HZ",
        help="play --replay at HZ rows a second (default: the file's own rate when its "
        "timestamps are a clock, else 20, the article's sketch rate); the framed protocol "
        "carries whole rates of 250..2000 Hz, so slower replays need --legacy",
    )
    parser.add_argument(
        "--replay-end",
        choices=REPLAY_END_MODES,
        default="loop",
        help="after the last replayed row: loop (default) or stop streaming",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="unpaced: stream as fast as the host reads (tests, benchmarks)",
    )
    parser.add_argument(
        "--link",
        type=Path,
        metavar="PATH",
        help="keep a symlink at PATH to the current pty and print PATH",
    )
    parser.add_argument(
        "--duration-s",
        type=positive_float,
        metavar="S",
        help="exit after S seconds of wall-clock time",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="KIND@START_S[:DURATION_S][:CHANNELS], repeatable; KIND one of electrode_off, "
        "clipping, corrupt, drop, disconnect, millis_jump, motion; CHANNELS 1-based, e.g. 1,3-4; "
        "millis_jump (--legacy): from START_S on, millis runs DURATION_S (default 3600) ahead",
    )
    parser.add_argument(
        "--mains-hz",
        type=int,
        choices=(50, 60),
        default=50,
        help="mains frequency of the interference (default 50)",
    )
    parser.add_argument(
        "--motion-artifacts-per-min",
        type=float,
        metavar="N",
        help="mean rate of motion artifacts (default: the scenario's, else 1)",
    )
    parser.add_argument(
        "--au-csv",
        type=Path,
        metavar="FILE",
        help="write the scenario's expressions as an OpenFace AU CSV (a video coder's view, "
        "with jitter, misses and extra AU events) and exit; needs --scenario",
    )
    parser.add_argument(
        "--au-video-start-s",
        type=float,
        default=0.0,
        metavar="S",
        help="--au-csv: session time of the video's first frame (default 0)",
    )
    parser.add_argument(
        "--au-miss",
        type=float,
        default=0.1,
        metavar="P",
        help="--au-csv: probability the coder misses an AU of an expression (default 0.1)",
    )
    parser.add_argument(
        "--au-extras-per-min",
        type=float,
        default=2.0,
        metavar="N",
        help="--au-csv: AU events per minute that no expression explains (default 2)",
    )
    parser.add_argument(
        "--legacy",
        action="store_true",
        help="be the seed article's sketch instead of a microexp board: `millis,v1,...,v8` "
        "text lines, no commands, restarting at millis 0 whenever a host opens the port",
    )
    parser.add_argument(
        "--legacy-period-ms",
        type=float,
        metavar="MS",
        help="--legacy without --replay: the sketch's loop period (default 51: delay(50) "
        "plus conversions and printing)",
    )
    parser.add_argument(
        "--legacy-drop",
        type=float,
        default=0.0,
        metavar="P",
        help="--legacy: probability that a line is lost on the way (default 0)",
    )
    parser.add_argument(
        "--legacy-jitter-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="--legacy: a line's millis lags its loop's start by up to MS (default 0)",
    )
    parser.add_argument(
        "--legacy-millis-start",
        type=int,
        default=0,
        metavar="MS",
        help="--legacy: millis of the first line after a reset (default 0; 4294967295 is the "
        "last before millis wraps)",
    )
    parser.add_argument(
        "--tx-buffer-bytes",
        type=int,
        default=4096,
        help="paced mode: the board's transmit buffer (default 4096)",
    )
