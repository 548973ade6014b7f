"""A hostile board on a real pseudo-terminal: speaks PROTOCOL.md's framing, misbehaves on purpose.

It answers HELLO with a chosen identity and acknowledges every other command; after START it
sends, paced in real time, whatever its `wire` function makes of the sample sets due (valid
frames with impossible values, random sequence numbers, bad checksums, garbage...).
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import numpy as np

from microexp_tui.device import codec
from microexp_tui.device.protocol import (
    PROTOCOL_VERSION,
    Ack,
    AckResult,
    BoardId,
    Command,
    FrameType,
    Identity,
    ack_payload,
    encode_frame,
    encode_samples_block,
    identity_payload,
)
from tests.acquisition.helpers import pty_peer

WireFunction = Callable[[int, int, np.random.Generator], bytes]
"""Bytes for sample sets [first_index, first_index + n) of the stream, given a seeded rng."""

PACE_S = 0.01


def board_identity(**changes: object) -> Identity:
    """A plausible board's identity (8 envelope channels at 1000 Hz), with `changes` applied."""
    values: dict[str, object] = {
        "protocol_version": PROTOCOL_VERSION,
        "firmware_version": (1, 0, 0),
        "board_id": BoardId.MEGA2560,
        "channel_count": 8,
        "sample_rate_hz": 1000,
        "adc_bits": 10,
        "adc_vref_mv": 5000,
        "sensor_kinds": (0,) * 8,
        "board_name": "hostile board",
    }
    values.update(changes)
    return Identity(**values)  # type: ignore[arg-type]


def good_counts(first_index: int, n: int, channels: int) -> np.ndarray:
    """In-range 10-bit counts that follow the sample index (so tests can check placement)."""
    index = np.arange(first_index, first_index + n, dtype=np.int64)[:, None]
    return ((index + np.arange(channels)) % 1000).astype(np.uint16)


def good_frames(first_index: int, n: int, rng: np.random.Generator, channels: int = 8) -> bytes:
    """Well-behaved SAMPLES frames: what a healthy board sends."""
    return encode_samples_block(first_index, good_counts(first_index, n, channels))


@dataclass
class HostileBoard:
    """What the board says at the handshake and what it sends once streaming."""

    wire: WireFunction = good_frames
    identity: Identity = field(default_factory=board_identity)
    seed: int = 0

    def serve(self, master: int, stop: threading.Event) -> None:
        """The peer thread: answer commands, stream while started (real-time paced)."""
        decoder = codec.DecoderState()
        rng = np.random.default_rng(self.seed)
        started_at: float | None = None
        sent = 0
        while not stop.is_set():
            if select.select([master], [], [], PACE_S)[0]:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    return
                decoder, result = codec.decode(decoder, data, channels=1)
                for item in result.items:
                    if isinstance(item, codec.SampleRun):
                        continue
                    if item.frame_type == Command.HELLO:
                        self._write(master, FrameType.IDENTITY, identity_payload(self.identity))
                        continue
                    ack = Ack(item.frame_type, item.seq, AckResult.OK)
                    self._write(master, FrameType.ACK, ack_payload(ack))
                    if item.frame_type == Command.START:
                        started_at, sent = time.monotonic(), 0
                    elif item.frame_type == Command.STOP:
                        started_at = None
            if started_at is not None:
                due = int((time.monotonic() - started_at) * self.identity.sample_rate_hz)
                if due > sent:
                    try:
                        os.write(master, self.wire(sent, due - sent, rng))
                    except OSError:
                        return
                    sent = due

    @staticmethod
    def _write(master: int, frame_type: int, payload: bytes) -> None:
        """One device frame."""
        with suppress(OSError):
            os.write(master, encode_frame(frame_type, 0, payload))


@contextmanager
def hostile_port(board: HostileBoard) -> Iterator[str]:
    """The board running on a pseudo-terminal; yields the port path a recorder opens."""
    with pty_peer(board.serve) as path:
        yield path
