"""Serial transport with pyserial: port discovery, opening, handshake and reconnection."""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial
from serial.tools import list_ports

from microexp_tui.device import codec
from microexp_tui.device.identity_rules import check_declared_setup
from microexp_tui.device.protocol import (
    ADC_BUDGET_SAMPLES_PER_S,
    DEFAULT_BAUD,
    MAX_CHANNELS,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    PROTOCOL_VERSION,
    AckResult,
    Command,
    Frame,
    FrameType,
    Identity,
    adc_budget_allows,
    encode_command,
    parse_ack,
    parse_identity,
)
from microexp_tui.device.replies import KEPT_REPLY_BYTES, describe_reply
from microexp_tui.errors import DeviceError, ProtocolError

MEGA_2560_USB_IDS: frozenset[tuple[int, int]] = frozenset(
    {
        (0x2341, 0x0010),  # Arduino Mega 2560 (original)
        (0x2341, 0x0042),  # Arduino Mega 2560 R3
        (0x2A03, 0x0010),  # arduino.org Mega 2560
        (0x2A03, 0x0042),  # arduino.org Mega 2560 R3
    }
)
"""USB vendor:product ids of genuine Arduino Mega 2560 boards."""

CLONE_USB_IDS: frozenset[tuple[int, int]] = frozenset(
    {
        (0x1A86, 0x7523),  # CH340 (most Mega clones)
        (0x0403, 0x6001),  # FTDI FT232R
        (0x10C4, 0xEA60),  # Silicon Labs CP210x
    }
)
"""USB-serial bridges common on Mega 2560 clones."""

ACK_REASONS: dict[int, str] = {
    AckResult.BAD_ARGUMENT: (
        f"out of range (rates {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz, channels 1-{MAX_CHANNELS})"
    ),
    AckResult.UNSUPPORTED: "this board does not support it (a replay, for instance)",
    AckResult.BUSY: "the board is streaming; stop it first",
    AckResult.EXCEEDS_ADC: (
        f"channels x rate would exceed the ADC's {ADC_BUDGET_SAMPLES_PER_S} samples/s; "
        "lower the rate or the channel count"
    ),
}
"""What a refused setting means, for messages a person can act on."""

HELLO_RETRY_S = 0.25
DEFAULT_HANDSHAKE_TIMEOUT_S = 3.0
"""A real Mega resets when the port opens and its bootloader waits ~1.5 s before the sketch."""


@dataclass(frozen=True)
class PortInfo:
    """A serial port found on this machine, ranked by how likely it is a Mega 2560."""

    device: str
    description: str
    vid: int | None
    pid: int | None
    is_mega_2560: bool
    is_likely_clone: bool
    manufacturer: str = ""

    @property
    def known_board(self) -> bool:
        """Whether its USB ids are a Mega 2560's or a bridge common on Mega clones."""
        return self.is_mega_2560 or self.is_likely_clone

    @property
    def usb_ids(self) -> str:
        """`[vid:pid]` in hex, or "" for a port that is not USB."""
        return f"[{self.vid:04x}:{self.pid:04x}]" if self.vid is not None and self.pid else ""

    @property
    def system_says(self) -> str:
        """What the system says of the port: description, manufacturer and USB ids."""
        description = self.description if self.description not in ("", "n/a") else ""
        parts = [description, self.manufacturer, self.usb_ids]
        return ", ".join(part for part in parts if part) or "no description"

    @property
    def label(self) -> str:
        """One-line description for lists and error messages."""
        ids = f" {self.usb_ids}" if self.usb_ids else ""
        kind = " (Arduino Mega 2560)" if self.is_mega_2560 else ""
        kind = kind or (" (USB-serial bridge, maybe a Mega clone)" if self.is_likely_clone else "")
        if not kind:
            return f"{self.device}: {self.system_says}"
        return f"{self.device}{kind}: {self.description}{ids}"


def list_serial_ports() -> list[PortInfo]:
    """Serial ports on this machine, Arduino Mega 2560 boards first, then likely clones.

    Listing reads what the system knows of each port; no port is opened (opening a Mega
    resets it).
    """
    ports = []
    for port in list_ports.comports():
        usb_id = (port.vid, port.pid) if port.vid is not None else None
        ports.append(
            PortInfo(
                device=port.device,
                description=port.description or "",
                vid=port.vid,
                pid=port.pid,
                is_mega_2560=usb_id in MEGA_2560_USB_IDS,
                is_likely_clone=usb_id in CLONE_USB_IDS,
                manufacturer=port.manufacturer or "",
            )
        )
    return sorted(ports, key=lambda p: (not p.is_mega_2560, not p.is_likely_clone, p.device))


def port_groups(ports: list[PortInfo]) -> tuple[list[PortInfo], list[PortInfo]]:
    """(known boards, other serial ports), each in the order given."""
    return [p for p in ports if p.known_board], [p for p in ports if not p.known_board]


def find_board_port() -> str | None:
    """The first port that looks like an Arduino Mega 2560 (genuine, then clone), if any."""
    for port in list_serial_ports():
        if port.is_mega_2560 or port.is_likely_clone:
            return port.device
    return None


def describe_available_ports() -> str:
    """A sentence listing the ports that do exist, for 'port not found' messages."""
    ports = list_serial_ports()
    if not ports:
        return "No serial ports were found on this machine; use --simulate for the simulated board."
    listing = "; ".join(port.label for port in ports)
    return f"Ports found: {listing}."


def open_serial(port: str, baud: int = DEFAULT_BAUD, read_timeout_s: float = 0.02) -> serial.Serial:
    """Open a port by device path or pyserial URL (e.g. `loop://`), raising DeviceError."""
    is_url = "://" in port
    if not is_url and not os.path.exists(port):
        raise DeviceError(
            f"Serial port {port!r} does not exist. {describe_available_ports()} "
            "Check the USB cable, or pass one of these with --port."
        )
    try:
        if is_url:
            return serial.serial_for_url(port, baudrate=baud, timeout=read_timeout_s)
        return serial.Serial(port, baudrate=baud, timeout=read_timeout_s, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as err:
        raise DeviceError(
            f"Could not open serial port {port!r}: {err}. Is another program using it "
            "(close the Arduino IDE's serial monitor), and do you have permission (group dialout)?"
        ) from err


BACKLOG_BYTES = 2048
"""This much already waiting means the board is ahead of the host (a pty's line discipline
holds at most 4 KiB): the next read asks for `BACKLOG_READ_BYTES` instead."""
BACKLOG_READ_BYTES = 64 * 1024
"""The size of a read that catches up: an unpaced stream moves in these, not in 4 KiB sips."""


def read_size(waiting_bytes: int, min_bytes: int) -> int:
    """Bytes to ask for: what is waiting (at least `min_bytes`), or a whole catch-up read when
    a backlog has built up."""
    if waiting_bytes >= BACKLOG_BYTES:
        return max(BACKLOG_READ_BYTES, min_bytes)
    return max(waiting_bytes, min_bytes)


def read_serial(port: serial.Serial, name: str, min_bytes: int = 1) -> bytes:
    """Everything waiting, or at least `min_bytes` unless the read timeout passes first; with a
    backlog, up to `BACKLOG_READ_BYTES` (a stream that is ahead is read in large pieces)."""
    try:
        size = read_size(port.in_waiting, min_bytes)
    except (serial.SerialException, OSError, TypeError) as err:
        raise DeviceError(f"Lost the board on {name}: {err}") from err
    return _read_port(port, name, size)


def _read_port(port: serial.Serial, name: str, size: int) -> bytes:
    """`size` bytes unless the port timeout passes first (pyserial's read); DeviceError on loss."""
    try:
        return bytes(port.read(size))
    except (serial.SerialException, OSError, TypeError) as err:
        raise DeviceError(f"Lost the board on {name}: {err}") from err


def read_waiting(port: serial.Serial, name: str) -> bytes:
    """What is waiting now, without waiting for more: one non-blocking read (pyserial opens a
    device with O_NONBLOCK) instead of select per write; a backlog (`BACKLOG_BYTES` or more)
    is read on into one catch-up read of `BACKLOG_READ_BYTES`, as `read_serial` does."""
    fd = getattr(port, "fd", None)
    if not isinstance(fd, int):  # a pyserial URL (loop://) or a closed port
        return read_serial(port, name, 0)
    data = _read_fd(fd, name)
    if not data and select.select([fd], [], [], 0)[0] and not (data := _read_fd(fd, name)):
        # readable yet empty twice: a device that is gone (pyserial's own test)
        raise DeviceError(f"Lost the board on {name}: the port returned no data (disconnected?)")
    if len(data) >= BACKLOG_BYTES:
        return data + _read_port(port, name, BACKLOG_READ_BYTES - len(data))
    return data


def _read_fd(fd: int, name: str) -> bytes:
    """One non-blocking read of up to `BACKLOG_READ_BYTES` (b"" when nothing is waiting)."""
    try:
        return os.read(fd, BACKLOG_READ_BYTES)
    except BlockingIOError:
        return b""
    except OSError as err:
        raise DeviceError(f"Lost the board on {name}: {err}") from err


class BoardLink:
    """An open connection to a board speaking the framed protocol, with reconnection."""

    def __init__(self, port: str, baud: int = DEFAULT_BAUD) -> None:
        """Remember where the board is; nothing is opened until `connect`."""
        self.port = port
        self.baud = baud
        self._serial: serial.Serial | None = None
        self._command_seq = 0
        self.identity: Identity | None = None
        self.heard = b""
        """The first bytes the board sent during the last handshake (to describe them)."""

    def connect(self, handshake_timeout_s: float = DEFAULT_HANDSHAKE_TIMEOUT_S) -> Identity:
        """Open the port and exchange HELLO/IDENTITY; raises DeviceError or ProtocolError."""
        self.close()
        self._serial = open_serial(self.port, self.baud)
        try:
            self.identity = self._handshake(handshake_timeout_s)
        except Exception:
            self.close()
            raise
        return self.identity

    def _handshake(self, timeout_s: float) -> Identity:
        """Send HELLO until an IDENTITY frame arrives or the timeout passes."""
        assert self._serial is not None
        self.send(Command.STOP)
        self._serial.reset_input_buffer()
        self.heard = b""
        frame, _ = self._wait_for(
            lambda f: f.frame_type == FrameType.IDENTITY, timeout_s, resend=Command.HELLO
        )
        if frame is not None:
            identity = check_identity(parse_identity(frame.payload), self.port)
            return check_declared_setup(identity, self.port)
        raise DeviceError(
            f"The board on {self.port} did not answer the handshake within {timeout_s:.1f} s "
            f"(heard: {describe_reply(self.heard)}). Is the microexp firmware flashed "
            "(see firmware/README.md)? For the article's original CSV sketch choose Legacy "
            "sketch (--legacy on the command line)."
        )

    def _wait_for(
        self, wanted: Callable[[Frame], bool], timeout_s: float, resend: Command | None = None
    ) -> tuple[Frame | None, int]:
        """The first frame `wanted` accepts (re-sending `resend` every 250 ms), and bytes seen."""
        state = codec.DecoderState()
        deadline = time.monotonic() + timeout_s
        next_send = 0.0
        seen_bytes = 0
        while time.monotonic() < deadline:
            if resend is not None and time.monotonic() >= next_send:
                self.send(resend)
                next_send = time.monotonic() + HELLO_RETRY_S
            data = self.read()
            seen_bytes += len(data)
            if len(self.heard) < KEPT_REPLY_BYTES:
                self.heard += data[: KEPT_REPLY_BYTES - len(self.heard)]
            state, result = codec.decode(state, data, channels=1)
            for item in result.items:
                if not isinstance(item, codec.SampleRun) and wanted(item):
                    return item, seen_bytes
        return None, seen_bytes

    def configure(
        self,
        sample_rate_hz: int | None,
        channels: int | None,
        timeout_s: float = DEFAULT_HANDSHAKE_TIMEOUT_S,
    ) -> Identity:
        """Set rate and channel count on an idle board, then re-read its identity."""
        if self.identity is None:
            raise DeviceError(f"The board on {self.port} has not been identified yet.")
        current = self.identity
        rate_first = sample_rate_hz is not None and adc_budget_allows(
            current.channel_count, sample_rate_hz
        )
        steps = [(Command.SET_RATE, sample_rate_hz), (Command.SET_CHANNELS, channels)]
        for command, value in steps if rate_first else steps[::-1]:
            if value is not None:
                self._apply(command, value, timeout_s)
        self.identity = self._handshake(timeout_s)
        return self.identity

    def _apply(self, command: Command, value: int, timeout_s: float) -> None:
        """Send one setting and require an OK acknowledgement."""
        seq = self.send(command, value)
        frame, _ = self._wait_for(
            lambda f: f.frame_type == FrameType.ACK and parse_ack(f.payload).command_seq == seq,
            timeout_s,
        )
        if frame is None:
            raise DeviceError(
                f"The board on {self.port} did not acknowledge {command.name} {value} within "
                f"{timeout_s:.1f} s. Reconnect it and try again."
            )
        result = parse_ack(frame.payload).result
        if result != AckResult.OK:
            raise DeviceError(
                f"The board on {self.port} refused {command.name} {value}: "
                f"{ACK_REASONS.get(result, f'result {result}')}."
            )

    def send(self, command: Command, argument: int | None = None) -> int:
        """Send one command; returns its sequence number (echoed in the board's ACK)."""
        if self._serial is None:
            raise DeviceError(f"The port {self.port} is not open.")
        seq = self._command_seq
        self._command_seq = (self._command_seq + 1) & 0xFFFF
        try:
            self._serial.write(encode_command(command, seq, argument))
        except (serial.SerialException, OSError) as err:
            raise DeviceError(f"Lost the board on {self.port} while sending: {err}") from err
        return seq

    def read(self, min_bytes: int = 1) -> bytes:
        """What is waiting, or up to `min_bytes` within the port timeout; DeviceError on loss."""
        if self._serial is None:
            raise DeviceError(f"The port {self.port} is not open.")
        return read_serial(self._serial, self.port, min_bytes)

    def read_waiting(self) -> bytes:
        """What is waiting, without waiting for more; DeviceError on loss."""
        if self._serial is None:
            raise DeviceError(f"The port {self.port} is not open.")
        return read_waiting(self._serial, self.port)

    def close(self) -> None:
        """Close the port if it is open; never raises."""
        if self._serial is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._serial.close()
            self._serial = None


def check_identity(identity: Identity, port: str) -> Identity:
    """Refuse a board whose protocol version this host does not speak."""
    if identity.protocol_version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"The board on {port} speaks protocol version {identity.protocol_version}, "
            f"this program speaks version {PROTOCOL_VERSION}. Flash the firmware that ships "
            "with this program (firmware/) or install the matching microexp-tui version."
        )
    if not 1 <= identity.channel_count <= 16 or identity.sample_rate_hz <= 0:
        raise ProtocolError(
            f"The board on {port} declared {identity.channel_count} channels at "
            f"{identity.sample_rate_hz} Hz, which is not a valid configuration."
        )
    return identity
