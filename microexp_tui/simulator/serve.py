"""Run the simulated board from its options: serve it on a pty, or write a scenario's AU file.

The options are `microexp_tui.simulator.options` (shared by `microexp simulate` and
`python -m microexp_tui.simulator`); this module turns them into a board and serves it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from microexp_tui.device.protocol import (
    ADC_BUDGET_SAMPLES_PER_S,
    MAX_CHANNELS,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    adc_budget_allows,
)
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.errors import InputError
from microexp_tui.simulator.au_csv import plan_au_events, write_openface_csv
from microexp_tui.simulator.board import BoardConfig, SimulatedBoard
from microexp_tui.simulator.faults import parse_fault_spec
from microexp_tui.simulator.participant import ParticipantConfig
from microexp_tui.simulator.pty_server import ServeOptions, Server
from microexp_tui.simulator.replay import REPLAY_CHANNELS, load_replay
from microexp_tui.simulator.scenario import Scenario, load_scenario
from microexp_tui.simulator.signals import warm_up

DEFAULT_MOTION_ARTIFACTS_PER_MIN = 1.0
DEFAULT_SCENARIO = Scenario(participant=ParticipantConfig(spontaneous=True))
"""Without a scenario file the participant also makes occasional spontaneous expressions."""


def build_board_config(args: argparse.Namespace) -> BoardConfig:
    """Validate the options and load the scenario or replay file."""
    _check_stream_options(args.rate_hz, args.channels)
    if args.seed < 0:
        raise InputError(f"--seed must be 0 or more, got {args.seed}")
    faults = tuple(parse_fault_spec(spec) for spec in args.fault)
    replay = None
    scenario = DEFAULT_SCENARIO
    if args.replay is not None:
        if args.mode != "envelope" or args.channels != REPLAY_CHANNELS:
            raise InputError("--replay streams 8 envelope channels: drop --mode raw / --channels")
        replay = load_replay(args.replay, args.replay_end)
    elif args.scenario is not None:
        scenario = load_scenario(args.scenario)
    artifacts = args.motion_artifacts_per_min
    if artifacts is None:
        artifacts = scenario.motion_artifacts_per_min
    if artifacts is None:
        artifacts = DEFAULT_MOTION_ARTIFACTS_PER_MIN
    if artifacts < 0:
        raise InputError(f"--motion-artifacts-per-min must be 0 or more, got {artifacts}")
    return BoardConfig(
        mode=args.mode,
        sample_rate_hz=args.rate_hz,
        channels=args.channels,
        seed=args.seed,
        mains_hz=args.mains_hz,
        motion_artifacts_per_min=artifacts,
        scenario=scenario,
        faults=faults,
        replay=replay,
    )


def _check_stream_options(rate_hz: int, channels: int) -> None:
    """Refuse a power-up configuration the board itself would refuse."""
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise InputError(f"--rate-hz must be {MIN_RATE_HZ}..{MAX_RATE_HZ}, got {rate_hz}")
    if not 1 <= channels <= MAX_CHANNELS:
        raise InputError(f"--channels must be 1..{MAX_CHANNELS}, got {channels}")
    if not adc_budget_allows(channels, rate_hz):
        raise InputError(
            f"{channels} channels x {rate_hz} Hz exceeds the ADC budget of "
            f"{ADC_BUDGET_SAMPLES_PER_S} samples/s: lower --rate-hz or --channels"
        )


def run_simulator(args: argparse.Namespace) -> int:
    """Serve the board until SIGINT/SIGTERM or --duration-s, or write --au-csv; returns 0."""
    config = build_board_config(args)
    if args.au_csv is not None:
        return _write_au_csv(args, config.scenario)
    if args.tx_buffer_bytes < 64:
        raise InputError(f"--tx-buffer-bytes must be at least 64, got {args.tx_buffer_bytes}")
    options = ServeOptions(
        fast=args.fast,
        link=args.link,
        duration_s=args.duration_s,
        tx_buffer_bytes=args.tx_buffer_bytes,
    )
    warm_up()  # a board is ready when it is announced: START must not wait for scipy
    with _stop_on_signals() as stop:
        return Server(SimulatedBoard(config), options, sys.stdout, stop.is_set).run()


def _write_au_csv(args: argparse.Namespace, scenario: Scenario) -> int:
    """Write the scenario's AU CSV (see `au_csv`) and report what was planted."""
    if args.scenario is None or not scenario.expressions:
        raise InputError("--au-csv needs --scenario FILE with [[expression]] entries to code.")
    if not 0.0 <= args.au_miss <= 1.0 or args.au_extras_per_min < 0:
        raise InputError("--au-miss must be 0..1 and --au-extras-per-min 0 or more.")
    last = max(x.onset_s + x.duration_s for x in scenario.expressions)
    plan = plan_au_events(
        scenario.expressions,
        SEED_MONTAGE,
        duration_s=max(1.0, last + 3.0 - args.au_video_start_s),
        video_start_s=args.au_video_start_s,
        miss_probability=args.au_miss,
        extras_per_min=args.au_extras_per_min,
        seed=args.seed,
    )
    try:
        frames = write_openface_csv(plan, args.au_csv, seed=args.seed)
    except OSError as err:
        raise InputError(f"cannot write {args.au_csv}: {err.strerror or err}") from err
    extras = sum(1 for event in plan.events if event.expression is None)
    print(
        f"wrote {args.au_csv}: {frames} frames at 30 fps, {len(plan.events) - extras} AU events "
        f"of scripted expressions, {len(plan.missed)} missed, {extras} extra"
    )
    return 0


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM (handlers restored afterwards)."""
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
