"""Run the simulated board from its options: serve it on a pty, or write a scenario's AU file.

The options are `microexp_tui.simulator.options` (shared by `microexp simulate` and
`python -m microexp_tui.simulator`); this module turns them into a board and serves it.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from microexp_tui.device.legacy import LEGACY_MAX_MILLIS
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
from microexp_tui.simulator.faults import Fault, parse_fault_spec
from microexp_tui.simulator.legacy_sketch import SKETCH_PERIOD_MS, LegacySketch, SketchConfig
from microexp_tui.simulator.participant import ParticipantConfig
from microexp_tui.simulator.pty_server import ServedBoard, ServeOptions, Server
from microexp_tui.simulator.replay import REPLAY_CHANNELS, ReplayData, load_replay
from microexp_tui.simulator.scenario import Scenario, load_scenario
from microexp_tui.simulator.signals import warm_up

DEFAULT_MOTION_ARTIFACTS_PER_MIN = 1.0
DEFAULT_RATE_HZ = 1000
"""The framed board's power-up rate, as the firmware's."""
MIN_SKETCH_PERIOD_MS = 1.0
"""millis() counts whole milliseconds: lines closer than that cannot be timed apart."""
DEFAULT_SCENARIO = Scenario(participant=ParticipantConfig(spontaneous=True))
"""Without a scenario file the participant also makes occasional spontaneous expressions."""


def build_board_config(args: argparse.Namespace) -> BoardConfig:
    """Validate the options of the framed board and load its scenario or replay file."""
    _refuse_legacy_options(args)
    if args.replay_rate_hz is not None and args.replay is None:
        raise InputError("--replay-rate-hz sets the rate of --replay FILE; add --replay.")
    replay = _load_replay(args)
    rate_hz = _framed_rate_hz(args, replay)
    _check_stream_options(rate_hz, args.channels)
    scenario, faults, artifacts = _scenario_and_faults(args)
    return BoardConfig(
        mode=args.mode,
        sample_rate_hz=rate_hz,
        channels=args.channels,
        seed=args.seed,
        mains_hz=args.mains_hz,
        motion_artifacts_per_min=artifacts,
        scenario=scenario,
        faults=faults,
        replay=replay,
    )


def build_sketch_config(args: argparse.Namespace) -> SketchConfig:
    """Validate the options of the seed article's sketch (--legacy) and load what it plays."""
    for given, option, reason in (
        (args.rate_hz is not None, "--rate-hz", "its rate is its loop's: --legacy-period-ms"),
        (args.fast, "--fast", "its millis is the clock, so its lines cannot outrun real time"),
        (args.mode != "envelope", "--mode raw", "it reads the sensors' envelopes at ~20 Hz"),
    ):
        if given:
            raise InputError(f"{option} cannot be used with --legacy: {reason}.")
    if not 1 <= args.channels <= MAX_CHANNELS:
        raise InputError(f"--channels must be 1..{MAX_CHANNELS}, got {args.channels}")
    replay = _load_replay(args)
    period_ms = _sketch_period_ms(args, replay)
    if not 0 <= args.legacy_jitter_ms < period_ms / 2:
        raise InputError(
            f"--legacy-jitter-ms must be 0 or more and under half the period "
            f"({period_ms / 2:g} ms), got {args.legacy_jitter_ms}"
        )
    if not 0 <= args.legacy_drop < 1:
        raise InputError(f"--legacy-drop must be 0 or more and below 1, got {args.legacy_drop}")
    if not 0 <= args.legacy_millis_start <= LEGACY_MAX_MILLIS:
        raise InputError(
            f"--legacy-millis-start must be 0..{LEGACY_MAX_MILLIS}, got {args.legacy_millis_start}"
        )
    scenario, faults, artifacts = _scenario_and_faults(args)
    return SketchConfig(
        period_ms=period_ms,
        channels=args.channels,
        seed=args.seed,
        drop_probability=args.legacy_drop,
        jitter_ms=args.legacy_jitter_ms,
        millis_start=args.legacy_millis_start,
        mains_hz=args.mains_hz,
        motion_artifacts_per_min=artifacts,
        scenario=scenario,
        faults=faults,
        replay=replay,
    )


def _refuse_legacy_options(args: argparse.Namespace) -> None:
    """InputError for a --legacy-* option given without --legacy."""
    given = [
        option
        for option, value, default in (
            ("--legacy-period-ms", args.legacy_period_ms, None),
            ("--legacy-drop", args.legacy_drop, 0.0),
            ("--legacy-jitter-ms", args.legacy_jitter_ms, 0.0),
            ("--legacy-millis-start", args.legacy_millis_start, 0),
        )
        if value != default
    ]
    if given:
        raise InputError(f"{', '.join(given)} apply to the article's sketch: add --legacy.")


def _load_replay(args: argparse.Namespace) -> ReplayData | None:
    """The --replay file (8 envelope channels), or None."""
    if args.replay is None:
        return None
    if args.mode != "envelope" or args.channels != REPLAY_CHANNELS:
        raise InputError("--replay streams 8 envelope channels: drop --mode raw / --channels")
    if args.replay_rate_hz is not None and not (
        math.isfinite(args.replay_rate_hz) and args.replay_rate_hz > 0
    ):
        raise InputError(f"--replay-rate-hz must be a positive number, got {args.replay_rate_hz}")
    return load_replay(args.replay, args.replay_end)


def _framed_rate_hz(args: argparse.Namespace, replay: ReplayData | None) -> int:
    """The framed board's power-up rate: --rate-hz, or a replay's if the protocol carries it."""
    if replay is None:
        return DEFAULT_RATE_HZ if args.rate_hz is None else int(args.rate_hz)
    if args.rate_hz is not None:
        raise InputError("--rate-hz does not apply to --replay: give --replay-rate-hz instead.")
    rate_hz, why = replay.rate_hz(args.replay_rate_hz)
    if rate_hz != round(rate_hz) or not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise InputError(
            f"--replay {replay.path} plays at {rate_hz:g} Hz ({why}), which the framed protocol "
            f"cannot carry (whole rates of {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz): add --legacy to "
            "play it as the article's sketch, or --replay-rate-hz "
            f"{MIN_RATE_HZ}..{MAX_RATE_HZ} to stream it faster."
        )
    _state_replay_rate(replay, rate_hz, why)
    return int(rate_hz)


def _sketch_period_ms(args: argparse.Namespace, replay: ReplayData | None) -> float:
    """The sketch's loop period: the replay's rate, or --legacy-period-ms (default 51 ms)."""
    if replay is not None:
        if args.legacy_period_ms is not None:
            raise InputError(
                "--legacy-period-ms does not apply to --replay: give --replay-rate-hz instead."
            )
        rate_hz, why = replay.rate_hz(args.replay_rate_hz)
        _state_replay_rate(replay, rate_hz, why)
        period_ms = 1000.0 / rate_hz
    else:
        period_ms = SKETCH_PERIOD_MS if args.legacy_period_ms is None else args.legacy_period_ms
    if not (math.isfinite(period_ms) and period_ms >= MIN_SKETCH_PERIOD_MS):
        raise InputError(
            f"The sketch's period must be at least {MIN_SKETCH_PERIOD_MS:g} ms (millis counts "
            f"whole milliseconds; at most {1000 / MIN_SKETCH_PERIOD_MS:g} lines a second), "
            f"got {period_ms:g} ms"
        )
    return period_ms


def _state_replay_rate(replay: ReplayData, rate_hz: float, why: str) -> None:
    """Say on stderr at which rate a replay plays and why (stdout carries only the port)."""
    print(
        f"replay {replay.path}: {replay.row_count} rows at {rate_hz:g} Hz, {why}", file=sys.stderr
    )


def _scenario_and_faults(args: argparse.Namespace) -> tuple[Scenario, tuple[Fault, ...], float]:
    """The scenario (or the default), the --fault faults and the motion-artifact rate."""
    if args.seed < 0:
        raise InputError(f"--seed must be 0 or more, got {args.seed}")
    faults = tuple(parse_fault_spec(spec) for spec in args.fault)
    scenario = DEFAULT_SCENARIO
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)
    artifacts = args.motion_artifacts_per_min
    if artifacts is None:
        artifacts = scenario.motion_artifacts_per_min
    if artifacts is None:
        artifacts = DEFAULT_MOTION_ARTIFACTS_PER_MIN
    if artifacts < 0:
        raise InputError(f"--motion-artifacts-per-min must be 0 or more, got {artifacts}")
    return scenario, faults, artifacts


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
    board: ServedBoard
    if args.legacy:
        sketch = build_sketch_config(args)
        scenario, board = sketch.scenario, LegacySketch(sketch)
    else:
        config = build_board_config(args)
        scenario, board = config.scenario, SimulatedBoard(config)
    if args.au_csv is not None:
        return _write_au_csv(args, scenario)
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
        return Server(board, options, sys.stdout, stop.is_set).run()


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
