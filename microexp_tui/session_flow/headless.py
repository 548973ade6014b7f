"""Headless recording from the command line: pick the source, open the store, record, summarise."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from microexp_tui.acquisition.recorder import (
    Recorder,
    RecordingOptions,
    RecordingSummary,
    record_for,
)
from microexp_tui.acquisition.sources import FramedSource, LegacySource, Source
from microexp_tui.device.protocol import DEFAULT_BAUD
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.protocols import load_protocol


@contextlib.contextmanager
def simulated_port(sim_args: list[str]) -> Iterator[str]:
    """A simulated board (paced in real time) running in a child process; yields its port."""
    from microexp_tui.simulator.process import start_simulator_process

    with start_simulator_process(sim_args) as simulator:
        yield simulator.port


def make_source(
    port: str,
    baud: int | None,
    legacy: bool,
    sample_rate_hz: int | None = None,
    channels: int | None = None,
) -> Source:
    """The source for a port: the framed protocol (with optional settings), or the legacy sketch."""
    if legacy:
        return LegacySource(port, channels or 8)
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
    hop_ms: float | None = None,
    sample_rate_hz: int | None = None,
    channels: int | None = None,
) -> RecordingSummary:
    """Record for `duration_s` seconds of wall-clock time (classifying live with a model)."""
    protocol = load_protocol(protocol_name) if protocol_name else None
    options = RecordingOptions(
        participant_code=participant_code, protocol=protocol, operator=operator, mains_hz=mains_hz
    )
    if model_path is not None:
        from microexp_tui.inference.model import EmotionModel

        options.model = EmotionModel.load(model_path)
    if hop_ms is not None:
        options.hop_ms = hop_ms
    store = SessionStore.open(database)
    try:
        with contextlib.ExitStack() as stack:
            if simulate:
                port = stack.enter_context(simulated_port(sim_args or []))
            assert port is not None
            source = make_source(port, baud, legacy, sample_rate_hz, channels)
            recorder = Recorder(source, store, options)
            recorder.start()
            return record_for(recorder, duration_s)
    finally:
        store.close()
