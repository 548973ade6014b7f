"""Pacing and back-pressure: real time by default, lossless and fast with --fast."""

from __future__ import annotations

import os
import time

from microexp_tui.device.protocol import Command, FrameType, encode_command, parse_status
from microexp_tui.simulator import start_simulator_process
from tests.simulator import Decoded, FrameDecoder, Host

FRAME_BYTES_8CH = 24


def test_paced_mode_follows_the_wall_clock() -> None:
    with start_simulator_process(["--rate-hz", "500"]) as simulator:
        host = Host(simulator.port)
        started = time.monotonic()
        host.send(Command.START)
        host.read_until(lambda _: time.monotonic() - started >= 1.5, timeout_s=5)
        elapsed_s = time.monotonic() - started
        host.close()
    received = len(host.decoded.sample_seqs)
    assert received <= elapsed_s * 500 + 5, (received, elapsed_s)
    assert received >= 350, received  # 750 expected; generous for a loaded machine
    assert host.decoded.sample_seqs == list(range(received))


def acquired(decoded: Decoded) -> int:
    """samples_acquired of the latest STATUS frame received (0 before any)."""
    statuses = decoded.of_type(FrameType.STATUS)
    return parse_status(statuses[-1].payload).samples_acquired if statuses else 0


def test_a_slow_host_costs_whole_counted_frames_never_silent_bytes() -> None:
    with start_simulator_process(["--tx-buffer-bytes", "4096"]) as simulator:
        host = Host(simulator.port)
        host.send(Command.START)
        host.samples(100)
        time.sleep(1.5)
        host.read_until(lambda d: acquired(d) >= 3000, timeout_s=10)
        host.close()
    decoded = host.decoded
    assert decoded.crc_errors == 0 and decoded.wrong_length == 0
    indices = decoded.indices()
    lost = int(indices[-1] + 1 - len(indices))
    statuses = [parse_status(frame.payload) for frame in decoded.of_type(FrameType.STATUS)]
    overflow = statuses[-1].tx_overflow_frames
    assert lost > 200
    assert lost <= overflow <= lost + len(statuses) + 3
    assert all(index % 1000 == 0 for index in (s.samples_acquired for s in statuses))


def test_fast_mode_streams_unpaced_contiguous_frames() -> None:
    """Unpaced output is well-formed and gap-free (its speed is measured in bench/, not here)."""
    with start_simulator_process(["--fast"]) as simulator:
        fd = os.open(simulator.port, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, encode_command(Command.START, 1))
            decoder = FrameDecoder(8)
            decoder.feed(os.read(fd, 1 << 16))
            total_bytes = 0
            while total_bytes < 4 << 20:
                chunk = os.read(fd, 1 << 20)
                total_bytes += len(chunk)
                decoder.feed(chunk)
        finally:
            os.close(fd)
    indices = decoder.result.indices()
    assert decoder.result.crc_errors == 0
    assert (indices == range(len(indices))).all()
    assert len(indices) > 4_000_000 // FRAME_BYTES_8CH
