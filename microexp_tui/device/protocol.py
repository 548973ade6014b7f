"""Wire-protocol constants, frame records and encoders shared by host, simulator and tests.

The normative description is firmware/PROTOCOL.md; this module mirrors it exactly.
Frame layout: SYNC0 SYNC1 | type u8 | seq u16 LE | len u8 | payload[len] | crc u16 LE,
with CRC-16/CCITT-FALSE over type, seq, len and payload.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from microexp_tui.device.rate_limits import MAX_RATE_HZ as MAX_RATE_HZ
from microexp_tui.device.rate_limits import MIN_RATE_HZ as MIN_RATE_HZ
from microexp_tui.domain.markers import clean_label

PROTOCOL_VERSION = 1
SYNC = b"\xa5\x5a"
HEADER_BYTES = 6  # sync(2) + type(1) + seq(2) + len(1)
CRC_BYTES = 2
OVERHEAD_BYTES = HEADER_BYTES + CRC_BYTES
MAX_PAYLOAD_BYTES = 255
MAX_CHANNELS = 16
ADC_BUDGET_SAMPLES_PER_S = 9600
"""Channels x rate ceiling of the ATmega2560 ADC at its 125 kHz datasheet clock."""
DEFAULT_BAUD = 500_000


class FrameType(IntEnum):
    """Device -> host frame types (high bit clear)."""

    SAMPLES = 0x01
    IDENTITY = 0x02
    MARKER = 0x03
    STATUS = 0x04
    ACK = 0x05


class Command(IntEnum):
    """Host -> device command types (high bit set)."""

    HELLO = 0x81
    START = 0x82
    STOP = 0x83
    SET_RATE = 0x84
    SET_CHANNELS = 0x85
    MARKER = 0x86
    PING = 0x87


class AckResult(IntEnum):
    """Result byte of an ACK frame."""

    OK = 0
    BAD_ARGUMENT = 1
    UNSUPPORTED = 2
    BUSY = 3
    EXCEEDS_ADC = 4


class BoardId(IntEnum):
    """Board identifiers carried in the identity frame."""

    UNKNOWN = 0
    MEGA2560 = 1
    SIMULATOR = 0xFE


class SensorKind(IntEnum):
    """Per-channel sensor kind declared in the identity frame."""

    ENVELOPE = 0
    RAW = 1


class MarkerSource(IntEnum):
    """Who produced a marker echoed in the stream."""

    HOST = 0
    TRIGGER = 1
    DEVICE = 2


class DeviceState(IntEnum):
    """Board state reported in status frames (and shown by the firmware's LED)."""

    IDLE = 0
    STREAMING = 1
    ERROR = 2


IDENTITY_FLAG_SIMULATED = 0x01
IDENTITY_FLAG_STREAMING = 0x02


@dataclass(frozen=True)
class Identity:
    """What a board says about itself in reply to HELLO."""

    protocol_version: int
    firmware_version: tuple[int, int, int]
    board_id: int
    channel_count: int
    sample_rate_hz: int
    adc_bits: int
    adc_vref_mv: int
    sensor_kinds: tuple[int, ...]
    board_name: str
    simulated: bool = False
    streaming: bool = False

    @property
    def firmware_version_text(self) -> str:
        """Firmware version as `major.minor.patch`."""
        return ".".join(str(part) for part in self.firmware_version)


@dataclass(frozen=True)
class Status:
    """Device-side counters sent periodically while streaming and in reply to PING."""

    samples_acquired: int
    tx_overflow_frames: int
    adc_overruns: int
    rx_errors: int
    state: int
    last_error: int


@dataclass(frozen=True)
class MarkerEcho:
    """A marker as applied by the device, at the exact sample index."""

    sample_index: int
    code: int
    source: int


@dataclass(frozen=True)
class Ack:
    """The device's answer to a command."""

    command: int
    command_seq: int
    result: int


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its type, sequence number and raw payload bytes."""

    frame_type: int
    seq: int
    payload: bytes = field(repr=False)


IDENTITY_FIXED = struct.Struct("<BBBBBBBHBH")
STATUS_STRUCT = struct.Struct("<IIIHBB")
MARKER_STRUCT = struct.Struct("<IHB")
ACK_STRUCT = struct.Struct("<BHB")
_HEAD_STRUCT = struct.Struct("<2sBHB")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0)."""
    return binascii.crc_hqx(data, 0xFFFF)


def _crc16_table() -> npt.NDArray[np.uint16]:
    """The 256-entry table of the MSB-first 0x1021 CRC, for the vectorised CRC."""
    table = np.zeros(256, dtype=np.uint16)
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table[byte] = crc & 0xFFFF
    return table


CRC16_TABLE = _crc16_table()


def _crc16_word_table() -> npt.NDArray[np.uint16]:
    """The 65536-entry table that advances the CRC by two bytes: crc = T[crc ^ word]."""
    words = np.arange(1 << 16, dtype=np.uint32)
    high = CRC16_TABLE[words >> 8].astype(np.uint32)
    return ((high << 8) ^ CRC16_TABLE[(high >> 8) ^ (words & 0xFF)]).astype(np.uint16)


CRC16_WORD_TABLE = _crc16_word_table()


def crc16_rows(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint16]:
    """CRC-16/CCITT-FALSE of every row of a (frames, bytes) uint8 array at once."""
    n_rows, n_bytes = rows.shape
    even = n_bytes - n_bytes % 2
    words = (rows[:, 0:even:2].astype(np.uint16) << 8) | rows[:, 1:even:2]
    words = np.ascontiguousarray(words.T)
    crc = np.full(n_rows, 0xFFFF, dtype=np.uint16)
    index = np.empty(n_rows, dtype=np.uint16)
    for word in words:
        np.bitwise_xor(crc, word, out=index)
        np.take(CRC16_WORD_TABLE, index, out=crc)
    if n_bytes % 2:
        last = ((crc >> 8) ^ rows[:, -1]).astype(np.uint8)
        crc = ((crc << 8) ^ CRC16_TABLE[last]).astype(np.uint16)
    return crc


def encode_frame(frame_type: int, seq: int, payload: bytes = b"") -> bytes:
    """Bytes of one frame (device frame or host command)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    body = struct.pack("<BHB", frame_type, seq & 0xFFFF, len(payload)) + payload
    return SYNC + body + struct.pack("<H", crc16_ccitt_false(body))


def encode_samples_block(first_sample_index: int, samples: npt.NDArray[np.integer]) -> bytes:
    """Bytes of consecutive SAMPLES frames for a (samples, channels) block of ADC counts.

    Vectorised: the simulator and benchmarks produce hundreds of thousands of frames a
    second with it; sequence numbers are the low 16 bits of each sample's index.
    """
    block = np.ascontiguousarray(samples, dtype="<u2")
    n_samples, n_channels = block.shape
    payload_bytes = 2 * n_channels
    frame_bytes = OVERHEAD_BYTES + payload_bytes
    rows = np.empty((n_samples, frame_bytes), dtype=np.uint8)
    rows[:, 0] = SYNC[0]
    rows[:, 1] = SYNC[1]
    rows[:, 2] = FrameType.SAMPLES
    seq = (np.arange(first_sample_index, first_sample_index + n_samples) & 0xFFFF).astype("<u2")
    rows[:, 3:5] = seq.view(np.uint8).reshape(n_samples, 2)
    rows[:, 5] = payload_bytes
    rows[:, HEADER_BYTES : HEADER_BYTES + payload_bytes] = block.view(np.uint8).reshape(
        n_samples, payload_bytes
    )
    crc = crc16_rows(rows[:, 2 : HEADER_BYTES + payload_bytes]).astype("<u2")
    rows[:, HEADER_BYTES + payload_bytes :] = crc.view(np.uint8).reshape(n_samples, 2)
    return rows.tobytes()


def identity_payload(identity: Identity) -> bytes:
    """Payload of an IDENTITY frame."""
    flags = (IDENTITY_FLAG_SIMULATED if identity.simulated else 0) | (
        IDENTITY_FLAG_STREAMING if identity.streaming else 0
    )
    name = identity.board_name.encode("ascii", "replace")[:32]
    major, minor, patch = identity.firmware_version
    fixed = IDENTITY_FIXED.pack(
        identity.protocol_version,
        major,
        minor,
        patch,
        identity.board_id,
        flags,
        identity.channel_count,
        identity.sample_rate_hz,
        identity.adc_bits,
        identity.adc_vref_mv,
    )
    return fixed + bytes(identity.sensor_kinds) + bytes([len(name)]) + name


def parse_identity(payload: bytes) -> Identity:
    """Identity from an IDENTITY payload; raises ValueError when it is malformed.

    The board name is cleaned of control characters and terminal escapes (`clean_label`), so
    no board-supplied byte reaches a screen, the database or an export raw.
    """
    if len(payload) < IDENTITY_FIXED.size:
        raise ValueError("identity payload too short")
    (version, major, minor, patch, board, flags, channels, rate, bits, vref) = (
        IDENTITY_FIXED.unpack_from(payload)
    )
    kinds_end = IDENTITY_FIXED.size + channels
    if len(payload) < kinds_end + 1:
        raise ValueError("identity payload too short for its channel count")
    name_len = payload[kinds_end]
    name = payload[kinds_end + 1 : kinds_end + 1 + name_len]
    if len(name) != name_len:
        raise ValueError("identity board name truncated")
    return Identity(
        protocol_version=version,
        firmware_version=(major, minor, patch),
        board_id=board,
        channel_count=channels,
        sample_rate_hz=rate,
        adc_bits=bits,
        adc_vref_mv=vref,
        sensor_kinds=tuple(payload[IDENTITY_FIXED.size : kinds_end]),
        board_name=clean_label(name.decode("ascii", "replace")) or "",
        simulated=bool(flags & IDENTITY_FLAG_SIMULATED),
        streaming=bool(flags & IDENTITY_FLAG_STREAMING),
    )


def status_payload(status: Status) -> bytes:
    """Payload of a STATUS frame."""
    return STATUS_STRUCT.pack(
        status.samples_acquired & 0xFFFFFFFF,
        status.tx_overflow_frames & 0xFFFFFFFF,
        status.adc_overruns & 0xFFFFFFFF,
        status.rx_errors & 0xFFFF,
        status.state,
        status.last_error,
    )


def parse_status(payload: bytes) -> Status:
    """Status from a STATUS payload; raises ValueError when it is malformed."""
    if len(payload) != STATUS_STRUCT.size:
        raise ValueError("status payload has the wrong length")
    return Status(*STATUS_STRUCT.unpack(payload))


def marker_payload(marker: MarkerEcho) -> bytes:
    """Payload of a MARKER frame."""
    return MARKER_STRUCT.pack(marker.sample_index & 0xFFFFFFFF, marker.code, marker.source)


def parse_marker(payload: bytes) -> MarkerEcho:
    """Marker echo from a MARKER payload; raises ValueError when it is malformed."""
    if len(payload) != MARKER_STRUCT.size:
        raise ValueError("marker payload has the wrong length")
    return MarkerEcho(*MARKER_STRUCT.unpack(payload))


def ack_payload(ack: Ack) -> bytes:
    """Payload of an ACK frame."""
    return ACK_STRUCT.pack(ack.command, ack.command_seq & 0xFFFF, ack.result)


def parse_ack(payload: bytes) -> Ack:
    """Ack from an ACK payload; raises ValueError when it is malformed."""
    if len(payload) != ACK_STRUCT.size:
        raise ValueError("ack payload has the wrong length")
    return Ack(*ACK_STRUCT.unpack(payload))


def encode_command(command: Command, seq: int, argument: int | None = None) -> bytes:
    """Bytes of a host command; SET_RATE and MARKER take u16, SET_CHANNELS u8."""
    if command in (Command.SET_RATE, Command.MARKER):
        if argument is None:
            raise ValueError(f"{command.name} needs an argument")
        payload = struct.pack("<H", argument)
    elif command is Command.SET_CHANNELS:
        if argument is None:
            raise ValueError("SET_CHANNELS needs an argument")
        payload = struct.pack("<B", argument)
    else:
        payload = b""
    return encode_frame(command, seq, payload)


def adc_budget_allows(channels: int, rate_hz: int) -> bool:
    """Whether channels x rate fits the ADC's conversion budget."""
    return channels * rate_hz <= ADC_BUDGET_SAMPLES_PER_S
