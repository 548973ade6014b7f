"""Board sources the recorder reads: the framed protocol, or the article's legacy CSV sketch."""

from __future__ import annotations

import contextlib
from typing import Protocol as TypingProtocol

from microexp_tui.device.protocol import BoardId, Command, Identity, SensorKind
from microexp_tui.device.stream import FramedStream, LegacyStream, StreamCounters
from microexp_tui.device.transport import BoardLink, check_identity, open_serial, read_serial
from microexp_tui.errors import DeviceError

LEGACY_BAUD = 9600
LEGACY_RATE_HZ = 20
"""The article's sketch loops with delay(50): about 20 sample sets per second."""


class Source(TypingProtocol):
    """What the recorder needs from a board, whatever its wire format."""

    port: str
    supports_markers: bool
    legacy: bool

    def open(self) -> Identity:
        """Open the port and identify the board."""
        ...

    def start(self) -> None:
        """Begin streaming from sample index 0."""
        ...

    def read(self, min_bytes: int = 1) -> bytes:
        """What is waiting, or at least `min_bytes` unless the port timeout passes first."""
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

    def read(self, min_bytes: int = 1) -> bytes:
        """Bytes from the port."""
        return self._link.read(min_bytes)

    def new_stream(self, counters: StreamCounters, index_offset: int) -> FramedStream:
        """A framed decoder sized from the board's identity."""
        if self._identity is None:
            raise DeviceError(f"The board on {self.port} has not been identified yet.")
        return FramedStream(
            self._identity.channel_count, self._identity.sample_rate_hz, counters, index_offset
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
    """A rig still running the article's sketch: text lines at 9600 baud, no integrity checks."""

    supports_markers = False
    legacy = True

    def __init__(self, port: str, channels: int = 8) -> None:
        """Remember the port; `open` opens it at 9600 baud."""
        self.port = port
        self.channels = channels
        self._serial = None

    def open(self) -> Identity:
        """Open the port; the identity is synthesised since the sketch cannot describe itself."""
        self._serial = open_serial(self.port, LEGACY_BAUD)
        return check_identity(legacy_identity(self.channels), self.port)

    def start(self) -> None:
        """Nothing to send: the sketch streams as soon as it runs."""
        if self._serial is not None:
            self._serial.reset_input_buffer()

    def read(self, min_bytes: int = 1) -> bytes:
        """Bytes from the port."""
        if self._serial is None:
            raise DeviceError(f"The port {self.port} is not open.")
        return read_serial(self._serial, self.port, min_bytes)

    def new_stream(self, counters: StreamCounters, index_offset: int) -> LegacyStream:
        """A legacy text decoder."""
        return LegacyStream(self.channels, counters, index_offset)

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


def legacy_identity(channels: int) -> Identity:
    """The identity recorded for a legacy sketch (protocol version stands in as 1)."""
    return Identity(
        protocol_version=1,
        firmware_version=(0, 0, 0),
        board_id=BoardId.MEGA2560,
        channel_count=channels,
        sample_rate_hz=LEGACY_RATE_HZ,
        adc_bits=10,
        adc_vref_mv=5000,
        sensor_kinds=(SensorKind.ENVELOPE,) * channels,
        board_name="Arduino Mega 2560 (legacy article sketch)",
    )
