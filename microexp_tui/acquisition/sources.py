"""Board sources the recorder reads: the framed protocol, or the article's legacy CSV sketch."""

from __future__ import annotations

import contextlib
import time
from typing import Protocol as TypingProtocol

from microexp_tui.device.legacy import LEGACY_BAUD, LegacyState, decode_legacy, detect_channels
from microexp_tui.device.legacy_clock import (
    MILLIS_MODULUS,
    MIN_REFINED_SLOTS,
    measure_period_ms,
    storable_rate_hz,
)
from microexp_tui.device.protocol import BoardId, Command, Identity, SensorKind
from microexp_tui.device.replies import frame_types
from microexp_tui.device.stream import FramedStream, LegacyStream, StreamCounters
from microexp_tui.device.transport import (
    BoardLink,
    check_identity,
    open_serial,
    read_serial,
    read_waiting,
)
from microexp_tui.errors import DeviceError

LEGACY_NOMINAL_RATE_HZ = 20
"""What the article says of its sketch (delay(50)); the rate recorded is measured from millis."""
PREAMBLE_LINES = 11
"""Lines read when the port opens, to learn the channel count and the period (~0.5 s)."""
PREAMBLE_MAX_BYTES = 16 * 1024
"""More bytes than this without the first lines is not the sketch (17 s of it at 9600 baud)."""
FIRST_LINES_TIMEOUT_S = 5.0
"""A Mega resets when its port opens; the bootloader waits ~1.5 s before the sketch prints."""


class Source(TypingProtocol):
    """What the recorder needs from a board, whatever its wire format."""

    port: str
    supports_markers: bool
    legacy: bool
    first_sample_at_s: float | None
    """Host time (monotonic) the connection's first sample arrived, when that was before
    `start` (a sketch prints at once), else None: it then comes after `start`."""

    @property
    def stream_rate_hz(self) -> float:
        """Sample sets per second of the stream, known once the board is open."""
        ...

    def open(self) -> Identity:
        """Open the port and identify the board."""
        ...

    def start(self) -> None:
        """Begin streaming from sample index 0."""
        ...

    def read(self) -> bytes:
        """What is waiting now, without waiting for more (the recorder paces its reads)."""
        ...

    def new_stream(
        self, counters: StreamCounters, index_offset: int
    ) -> FramedStream | LegacyStream:
        """A decoder for this connection whose sample 0 is session index `index_offset`."""
        ...

    def send_marker(self, code: int) -> None:
        """Ask the board to apply a marker at its current sample index."""
        ...

    def stop(self) -> None:
        """Stop streaming (best effort)."""
        ...

    def close(self) -> None:
        """Release the port; never raises."""
        ...


class FramedSource:
    """A board speaking firmware/PROTOCOL.md: the Mega firmware, the emulator or the simulator."""

    supports_markers = True
    legacy = False
    first_sample_at_s: float | None = None

    def __init__(
        self,
        port: str,
        baud: int,
        sample_rate_hz: int | None = None,
        channels: int | None = None,
    ) -> None:
        """Remember the port and the settings to apply; `open` connects."""
        self.port = port
        self.sample_rate_hz = sample_rate_hz
        self.channels = channels
        self._link = BoardLink(port, baud)
        self._identity: Identity | None = None

    def open(self) -> Identity:
        """Connect, handshake and apply the requested rate and channel count (every time:
        a board returns to its defaults whenever the port is closed)."""
        identity = self._link.connect()
        if self.sample_rate_hz not in (None, identity.sample_rate_hz) or self.channels not in (
            None,
            identity.channel_count,
        ):
            try:
                identity = self._link.configure(self.sample_rate_hz, self.channels)
            except Exception:
                self._link.close()
                raise
        self._identity = identity
        return identity

    def start(self) -> None:
        """Send START."""
        self._link.send(Command.START)

    def read(self) -> bytes:
        """The bytes waiting at the port."""
        return self._link.read_waiting()

    @property
    def stream_rate_hz(self) -> float:
        """The rate the board declared in its identity."""
        if self._identity is None:
            raise DeviceError(f"The board on {self.port} has not been identified yet.")
        return float(self._identity.sample_rate_hz)

    def new_stream(self, counters: StreamCounters, index_offset: int) -> FramedStream:
        """A framed decoder sized from the board's identity."""
        if self._identity is None:
            raise DeviceError(f"The board on {self.port} has not been identified yet.")
        return FramedStream(
            self._identity.channel_count,
            self._identity.sample_rate_hz,
            counters,
            index_offset,
            adc_bits=self._identity.adc_bits,
            started_at_s=time.monotonic(),
        )

    def send_marker(self, code: int) -> None:
        """Send a MARKER command; the board echoes it at the sample index it applied it."""
        self._link.send(Command.MARKER, code)

    def stop(self) -> None:
        """Send STOP, ignoring a board that is already gone."""
        with contextlib.suppress(DeviceError):
            self._link.send(Command.STOP)

    def close(self) -> None:
        """Close the port."""
        self._link.close()


class LegacySource:
    """A rig still running the article's sketch: text lines, no integrity checks, millis as clock.

    Opening the port reads the sketch's first lines to learn how many values a line has
    (unless `channels` says) and to measure its period; those lines are recorded too.
    """

    supports_markers = False
    legacy = True

    def __init__(
        self,
        port: str,
        baud: int = LEGACY_BAUD,
        channels: int | None = None,
        simulated: bool = False,
        first_lines_timeout_s: float = FIRST_LINES_TIMEOUT_S,
    ) -> None:
        """Remember the port, its baud rate, if known the values per line, and whether the
        program started it as a simulator (the sketch cannot say so itself); `open` opens."""
        self.port = port
        self.baud = baud
        self.channels = channels
        self.simulated = simulated
        self.first_lines_timeout_s = first_lines_timeout_s
        self._serial = None
        self._preamble = b""
        self.first_sample_at_s: float | None = None
        self._prior_period_ms: float | None = None
        self._streams: list[LegacyStream] = []

    def open(self) -> Identity:
        """Open the port and read the first lines; the identity is synthesised from them."""
        self._preamble = b""
        self._serial = open_serial(self.port, self.baud)
        try:
            channels, period_ms = self._read_first_lines()
        except BaseException:
            self.close()
            raise
        self.channels, self._prior_period_ms = channels, period_ms
        return check_identity(legacy_identity(channels, self.simulated), self.port)

    def _read_first_lines(self) -> tuple[int, float]:
        """Read until PREAMBLE_LINES good lines (kept for the stream); their channels and period."""
        deadline_s = time.monotonic() + self.first_lines_timeout_s
        data = b""
        while True:
            data += self._read_at_least(64)
            channels = self.channels or detect_channels(data)
            millis = decode_legacy(LegacyState(), data, channels)[1].millis if channels else None
            timed_out = time.monotonic() >= deadline_s or len(data) > PREAMBLE_MAX_BYTES
            if millis is not None and (len(millis) >= PREAMBLE_LINES or timed_out):
                period_ms = measure_period_ms(millis)
                if channels is not None and period_ms is not None:
                    self._preamble = data  # recorded: the first `read` returns it
                    span_ms = int(millis[-1] - millis[0]) % MILLIS_MODULUS
                    self.first_sample_at_s = time.monotonic() - span_ms / 1000
                    return channels, period_ms
            if timed_out:
                raise DeviceError(self._no_lines_message(data))

    def _no_lines_message(self, data: bytes) -> str:
        """Why the first lines did not come, and what to check."""
        heard = f"{self.port} at {self.baud} baud in {self.first_lines_timeout_s:g} s"
        if not data:
            return (
                f"Nothing came from {heard} (no reply). Is this the board's port, and does it "
                "run the article's sketch (it prints `millis,v1,...,v8` lines)? A board with "
                "the microexp firmware stays silent until asked: choose microexp firmware as "
                "the board kind (no --legacy on the command line)."
            )
        if frame_types(data):
            return (
                f"From {heard} came frames of the microexp protocol, not the article's sketch's "
                "text: the board runs the microexp firmware. Choose microexp firmware as the "
                "board kind (no --legacy on the command line)."
            )
        first = data.split(b"\n")[0][:60].decode("ascii", "replace")
        values = f"{self.channels} values" if self.channels else "1-16 values"
        return (
            f"{len(data)} bytes came from {heard}, but not two lines of the article's "
            f"sketch (millis, then {values}, comma-separated); the first line was {first!r}. "
            "Check that --baud matches the sketch's Serial.begin (9600 in the article)"
            + (" and that --channels is the number of values it prints" if self.channels else "")
            + "; a board with the microexp firmware records without --legacy."
        )

    @property
    def stream_rate_hz(self) -> float:
        """The rate the sketch's millis show over every connection so far (as stored)."""
        return storable_rate_hz(self._period_ms())

    def _period_ms(self) -> float:
        """The sketch's period over the steps of every connection, else the first lines'."""
        span_ms = sum(stream.clock.span_ms for stream in self._streams)
        span_slots = sum(stream.clock.span_slots for stream in self._streams)
        if span_slots >= MIN_REFINED_SLOTS:
            return span_ms / span_slots
        if self._prior_period_ms is None:
            raise DeviceError(f"The sketch on {self.port} has not been read yet.")
        return self._prior_period_ms

    def start(self) -> None:
        """Nothing to send: the sketch streams as soon as it runs (its first lines are kept)."""

    def read(self) -> bytes:
        """The first lines read at `open`, then the bytes waiting at the port."""
        if self._serial is None:
            raise DeviceError(f"The port {self.port} is not open.")
        data, self._preamble = self._preamble, b""
        return data + read_waiting(self._serial, self.port)

    def _read_at_least(self, min_bytes: int) -> bytes:
        """What is waiting, or `min_bytes` unless the port timeout passes first."""
        if self._serial is None:
            raise DeviceError(f"The port {self.port} is not open.")
        return read_serial(self._serial, self.port, min_bytes)

    def new_stream(self, counters: StreamCounters, index_offset: int) -> LegacyStream:
        """A legacy text decoder timed by the period measured so far."""
        if self.channels is None:
            raise DeviceError(f"The sketch on {self.port} has not been read yet.")
        stream = LegacyStream(self.channels, counters, index_offset, self._period_ms())
        self._streams.append(stream)
        return stream

    def send_marker(self, code: int) -> None:
        """The sketch takes no commands: the recorder places the marker on the host side."""

    def stop(self) -> None:
        """The sketch cannot be stopped."""

    def close(self) -> None:
        """Close the port."""
        if self._serial is not None:
            with contextlib.suppress(OSError):
                self._serial.close()
            self._serial = None


def legacy_identity(channels: int, simulated: bool = False) -> Identity:
    """The identity recorded for a legacy sketch (protocol version stands in as 1)."""
    return Identity(
        protocol_version=1,
        firmware_version=(0, 0, 0),
        board_id=BoardId.MEGA2560,
        channel_count=channels,
        sample_rate_hz=LEGACY_NOMINAL_RATE_HZ,
        adc_bits=10,
        adc_vref_mv=5000,
        sensor_kinds=(SensorKind.ENVELOPE,) * channels,
        board_name="Arduino Mega 2560 (legacy article sketch)",
        simulated=simulated,
    )
