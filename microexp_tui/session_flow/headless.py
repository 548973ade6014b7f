"""Headless recording from the command line: pick the source, open the store, record, summarise."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path

from microexp_tui.acquisition.recorder import (
    Recorder,
    RecordingOptions,
    RecordingSummary,
    record_for,
)
from microexp_tui.acquisition.sources import FramedSource, LegacySource, Source
from microexp_tui.device.legacy import LEGACY_BAUD
from microexp_tui.device.protocol import DEFAULT_BAUD, MAX_CHANNELS, MAX_RATE_HZ, MIN_RATE_HZ
from microexp_tui.domain.sessions import SessionSetup
from microexp_tui.errors import MicroexpError, ModelError
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.protocols import for_session, load_protocol


@contextlib.contextmanager
def simulated_port(sim_args: list[str]) -> Iterator[str]:
    """A simulated board (paced in real time) running in a child process; yields its port."""
    from microexp_tui.simulator.process import start_simulator_process

    with start_simulator_process(sim_args) as simulator:
        yield simulator.port


def check_legacy_options(legacy: bool, sample_rate_hz: int | None, channels: int | None) -> None:
    """Usage errors of the board settings: for the framed protocol a rate or channel count it
    cannot carry; for the legacy sketch a rate (it is measured, not set), a channel count the
    line format cannot carry."""
    if not legacy:
        _check_framed_options(sample_rate_hz, channels)
        return
    if sample_rate_hz is not None:
        raise MicroexpError(
            "--rate-hz cannot be used with --legacy: the article's sketch cannot be told a "
            "rate (it loops with delay(50)); its rate is measured from the millis it prints."
        )
    if channels is not None and not 1 <= channels <= MAX_CHANNELS:
        raise MicroexpError(
            f"--channels {channels} with --legacy: a sketch line carries 1..{MAX_CHANNELS} "
            "values; give the number of values your sketch prints after millis."
        )


def _check_framed_options(sample_rate_hz: int | None, channels: int | None) -> None:
    """Usage errors of settings the framed protocol cannot carry (PROTOCOL.md's ranges)."""
    if sample_rate_hz is not None and not MIN_RATE_HZ <= sample_rate_hz <= MAX_RATE_HZ:
        raise MicroexpError(
            f"--rate-hz {sample_rate_hz}: the board's protocol carries sample rates of "
            f"{MIN_RATE_HZ}..{MAX_RATE_HZ} Hz; choose one in that range (e.g. 1000)."
        )
    if channels is not None and not 1 <= channels <= MAX_CHANNELS:
        raise MicroexpError(
            f"--channels {channels}: the board's protocol carries 1..{MAX_CHANNELS} channels; "
            "choose a count in that range."
        )


def make_source(
    port: str,
    baud: int | None,
    legacy: bool,
    sample_rate_hz: int | None = None,
    channels: int | None = None,
    simulated: bool = False,
) -> Source:
    """The source for a port: the framed protocol (with optional settings), or the legacy sketch.

    For the legacy sketch, `channels` is the number of values its lines carry (default: what
    its first lines show), asking for a rate is a usage error, and `simulated` flags a
    simulator this program started (the sketch's lines cannot say so).
    """
    check_legacy_options(legacy, sample_rate_hz, channels)
    if legacy:
        return LegacySource(port, baud or LEGACY_BAUD, channels, simulated)
    return FramedSource(port, baud or DEFAULT_BAUD, sample_rate_hz, channels)


def run_recording(
    *,
    port: str | None,
    simulate: bool,
    database: Path,
    duration_s: float,
    participant_code: str | None = None,
    protocol_name: str | None = None,
    operator: str | None = None,
    mains_hz: float = 50.0,
    baud: int | None = None,
    legacy: bool = False,
    sim_args: list[str] | None = None,
    model_path: Path | str | None = None,
    model_required: bool = True,
    hop_ms: float | None = None,
    sample_rate_hz: int | None = None,
    channels: int | None = None,
    protocol_seed: int | None = None,
    on_model_problem: Callable[[str], None] | None = None,
) -> RecordingSummary:
    """Record `duration_s` seconds of signal (classifying live with a model; one that need not
    fit, `model_required` False, is left out when it does not load or fit: the reason goes to
    `on_model_problem` as the recording starts, and into the summary); a protocol runs with
    `protocol_seed` (unless its file fixes one), else a new seed."""
    check_legacy_options(legacy, sample_rate_hz, channels)
    protocol = for_session(load_protocol(protocol_name), protocol_seed) if protocol_name else None
    options = RecordingOptions(
        participant_code=participant_code,
        protocol=protocol,
        operator=operator,
        mains_hz=mains_hz,
        model_required=model_required,
    )
    unloaded = _load_model(options, model_path)
    if hop_ms is not None:
        options.hop_ms = hop_ms
    store = SessionStore.open(database)
    try:
        with contextlib.ExitStack() as stack:
            if simulate:
                legacy_args = ["--legacy", *(["--channels", str(channels)] if channels else [])]
                legacy_args = legacy_args if legacy else []
                port = stack.enter_context(simulated_port([*(sim_args or []), *legacy_args]))
            assert port is not None
            source = make_source(port, baud, legacy, sample_rate_hz, channels, simulate)
            recorder = Recorder(source, store, options)
            try:
                session_id = recorder.start()
            except MicroexpError as err:
                if recorder.session_id is None:
                    raise
                return recorder.failed_start(err)
            if protocol is not None:
                path = str(protocol.path) if protocol.path else None
                setup = SessionSetup(session_id, protocol_path=path, protocol_seed=protocol.seed)
                store.save_setup(setup, operator or "system")
            problem = unloaded or recorder.model_problem
            say = None
            if problem and on_model_problem is not None:
                say = functools.partial(on_model_problem, problem)
            summary = record_for(recorder, duration_s, say)  # said where Ctrl-C still aborts
            summary.model_problem = problem
            return summary
    finally:
        store.close()


def _load_model(options: RecordingOptions, model_path: Path | str | None) -> str | None:
    """Load the live model into the options; why it did not load when it need not (else
    ModelError)."""
    if model_path is None:
        return None
    from microexp_tui.inference.model import EmotionModel

    try:
        options.model = EmotionModel.load(model_path)
    except ModelError as err:
        if options.model_required:
            raise
        return f"live model {Path(model_path).stem} left out: {err}"
    return None
