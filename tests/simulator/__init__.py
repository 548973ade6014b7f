"""Simulator tests, and their minimal host side: a frame decoder and a pyserial session helper.

The decoder is deliberately independent of microexp_tui.device.codec so the simulator is
checked against PROTOCOL.md, not against the host decoder it will be used to test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import serial

from microexp_tui.device.protocol import (
    CRC_BYTES,
    HEADER_BYTES,
    SYNC,
    Command,
    Frame,
    FrameType,
    crc16_ccitt_false,
    encode_command,
)


@dataclass
class Decoded:
    """Everything decoded so far: sample sets, other frames and link-error counters."""

    channels: int
    sample_seqs: list[int] = field(default_factory=list)
    sample_payloads: list[bytes] = field(default_factory=list)
    frames: list[tuple[int, Frame]] = field(default_factory=list)
    """Non-sample frames with the number of SAMPLES frames received before them."""
    crc_errors: int = 0
    wrong_length: int = 0

    def of_type(self, frame_type: FrameType) -> list[Frame]:
        """Non-sample frames of one type, in order."""
        return [frame for _, frame in self.frames if frame.frame_type == frame_type]

    def indices(self) -> npt.NDArray[np.int64]:
        """Unwrapped sample indices (seq is the low 16 bits of the index)."""
        seqs = np.asarray(self.sample_seqs, dtype=np.int64)
        if seqs.size == 0:
            return seqs
        steps = np.diff(seqs) % 65536
        return np.concatenate(([seqs[0]], seqs[0] + np.cumsum(steps)))

    def counts(self) -> npt.NDArray[np.uint16]:
        """(samples, channels) ADC counts."""
        raw = b"".join(self.sample_payloads)
        return np.frombuffer(raw, dtype="<u2").reshape(-1, self.channels)


class FrameDecoder:
    """Scans bytes for frames as PROTOCOL.md prescribes (resync one byte after a bad sync)."""

    def __init__(self, channels: int) -> None:
        """Nothing decoded yet."""
        self.buffer = bytearray()
        self.result = Decoded(channels)

    def feed(self, data: bytes) -> None:
        """Decode every complete frame in the buffered bytes."""
        buffer = self.buffer
        buffer += data
        position = 0
        result = self.result
        while True:
            start = buffer.find(SYNC, position)
            if start < 0 or len(buffer) - start < HEADER_BYTES:
                position = start if start >= 0 else max(len(buffer) - 1, position)
                break
            end = start + HEADER_BYTES + buffer[start + 5] + CRC_BYTES
            if end > len(buffer):
                position = start
                break
            body = bytes(buffer[start + 2 : end - CRC_BYTES])
            if crc16_ccitt_false(body) != int.from_bytes(buffer[end - 2 : end], "little"):
                result.crc_errors += 1
                position = start + 1
                continue
            frame = Frame(body[0], int.from_bytes(body[1:3], "little"), body[4:])
            if frame.frame_type == FrameType.SAMPLES:
                if len(frame.payload) == 2 * result.channels:
                    result.sample_seqs.append(frame.seq)
                    result.sample_payloads.append(frame.payload)
                else:
                    result.wrong_length += 1
            else:
                result.frames.append((len(result.sample_seqs), frame))
            position = end
        del buffer[:position]


class Host:
    """A pyserial connection to the simulator with command and read helpers."""

    def __init__(self, port: str, channels: int = 8, timeout_s: float = 0.05) -> None:
        """Open the port (raw, like the real host)."""
        self.serial = serial.Serial(port, timeout=timeout_s)
        self.decoder = FrameDecoder(channels)
        self.seq = 0

    @property
    def decoded(self) -> Decoded:
        """What has been decoded so far."""
        return self.decoder.result

    def send(self, command: Command, argument: int | None = None) -> int:
        """Send a command; returns its seq."""
        self.seq += 1
        self.serial.write(encode_command(command, self.seq, argument))
        return self.seq

    def send_raw(self, data: bytes) -> None:
        """Send arbitrary bytes."""
        self.serial.write(data)

    def pump(self) -> int:
        """Read what is waiting (or wait one timeout) and decode it; returns bytes read."""
        data = self.serial.read(max(self.serial.in_waiting, 1 << 16))
        self.decoder.feed(data)
        return len(data)

    def read_until(self, done: Callable[[Decoded], bool], timeout_s: float = 10.0) -> Decoded:
        """Pump until `done(decoded)` holds; fails the test on timeout."""
        deadline = time.monotonic() + timeout_s
        while not done(self.decoded):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s} s waiting for the simulator")
            self.pump()
        return self.decoded

    def wait_frame(self, frame_type: FrameType, timeout_s: float = 5.0, after: int = 0) -> Frame:
        """The first non-sample frame of a type beyond the first `after` of that type."""
        self.read_until(lambda d: len(d.of_type(frame_type)) > after, timeout_s)
        return self.decoded.of_type(frame_type)[after]

    def samples(self, n_samples: int, timeout_s: float = 20.0) -> Decoded:
        """Pump until at least n_samples SAMPLES frames arrived."""
        return self.read_until(lambda d: len(d.sample_seqs) >= n_samples, timeout_s)

    def close(self) -> None:
        """Close the port (the board resets to idle)."""
        self.serial.close()
