"""Write the golden test vectors of firmware/vectors/ from their semantic definitions.

The vectors are frozen: rerun this only to add vectors or for a new protocol version,
and review the diff. Stream counters below are worked out by hand from the receiving rule
of PROTOCOL.md; the script refuses to write if the host decoder disagrees with them.

    python bench/make_golden_vectors.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from microexp_tui.device import codec
from microexp_tui.device.protocol import (
    Ack,
    AckResult,
    BoardId,
    Command,
    Frame,
    FrameType,
    Identity,
    MarkerEcho,
    MarkerSource,
    Status,
    ack_payload,
    encode_command,
    encode_frame,
    encode_samples_block,
    identity_payload,
    marker_payload,
    status_payload,
)

VECTORS = Path(__file__).resolve().parents[1] / "firmware" / "vectors"


def crc16_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE computed bit by bit, independent of binascii and the tables."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def hex_or_dash(data: bytes) -> str:
    """Lower-case hex of the bytes, or '-' when there are none."""
    return data.hex() if data else "-"


def crc_lines() -> list[str]:
    """Lines of crc.txt: name, input hex, expected CRC."""
    inputs = {
        "check_123456789": b"123456789",
        "empty": b"",
        "zero_byte": b"\x00",
        "ff_byte": b"\xff",
        "ascii_A": b"A",
        "all_bytes_0_255": bytes(range(256)),
        "ping_header": bytes([Command.PING, 0x00, 0x00, 0x00]),
    }
    return [
        f"{name} {hex_or_dash(data)} 0x{crc16_bitwise(data):04x}" for name, data in inputs.items()
    ]


def frame_line(name: str, kind: str, frame: bytes, fields: list[str]) -> str:
    """One line of frames.txt for the encoded frame and its semantic fields."""
    frame_type, seq, length = frame[2], frame[3] | (frame[4] << 8), frame[5]
    payload = frame[6 : 6 + length]
    head = f"{name} {kind} 0x{frame_type:02x} 0x{seq:04x} {hex_or_dash(payload)} {frame.hex()}"
    return " ".join([head, *fields])


def samples_line(name: str, seq: int, counts: list[int]) -> str:
    """A SAMPLES vector: channels then the counts."""
    frame = encode_samples_block(seq, np.array([counts], dtype=np.uint16))
    return frame_line(name, "samples", frame, [str(len(counts)), *map(str, counts)])


def identity_line(name: str, seq: int, identity: Identity) -> str:
    """An IDENTITY vector with every field, the board name last (no spaces)."""
    flags = int(identity.simulated) | (int(identity.streaming) << 1)
    major, minor, patch = identity.firmware_version
    fields = [
        str(identity.protocol_version),
        str(major),
        str(minor),
        str(patch),
        f"0x{identity.board_id:02x}",
        f"0x{flags:02x}",
        str(identity.channel_count),
        str(identity.sample_rate_hz),
        str(identity.adc_bits),
        str(identity.adc_vref_mv),
        *map(str, identity.sensor_kinds),
        identity.board_name,
    ]
    frame = encode_frame(FrameType.IDENTITY, seq, identity_payload(identity))
    return frame_line(name, "identity", frame, fields)


def device_frame_lines() -> list[str]:
    """SAMPLES, IDENTITY, MARKER, STATUS and ACK vectors."""
    ramp16 = [0, 1, 2, 3, 100, 255, 256, 511, 512, 767, 768, 1000, 1020, 1021, 1022, 1023]
    mega = Identity(
        1, (1, 0, 0), BoardId.MEGA2560, 8, 1000, 10, 5000, (0,) * 8, "microexp-mega2560"
    )
    sim = Identity(
        1, (1, 2, 3), BoardId.SIMULATOR, 4, 500, 10, 5000, (0, 1, 0, 1), "microexp-sim", True, True
    )
    lines = [
        samples_line("samples_1ch", 0x0000, [512]),
        samples_line("samples_8ch", 0x1234, [0, 1, 2, 511, 512, 1021, 1022, 1023]),
        samples_line("samples_16ch", 0x00FF, ramp16),
        samples_line("samples_8ch_seq_ffff", 0xFFFF, [1023, 0, 1023, 0, 341, 682, 7, 900]),
        samples_line("samples_8ch_seq_0000", 0x0000, [1, 2, 3, 4, 5, 6, 7, 8]),
        identity_line("identity_mega2560", 0x0000, mega),
        identity_line("identity_simulator", 0x0102, sim),
    ]
    markers = {
        "marker_host": (5, MarkerEcho(123456, 0x0101, MarkerSource.HOST)),
        "marker_trigger": (6, MarkerEcho(0x89ABCDEF, 0x0400, MarkerSource.TRIGGER)),
    }
    for name, (seq, marker) in markers.items():
        frame = encode_frame(FrameType.MARKER, seq, marker_payload(marker))
        fields = [str(marker.sample_index), f"0x{marker.code:04x}", str(marker.source)]
        lines.append(frame_line(name, "marker", frame, fields))
    statuses = {
        "status_streaming": (7, Status(65536 + 42, 3, 1, 2, 1, 0)),
        "status_max": (0xFFFF, Status(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF, 2, 4)),
    }
    for name, (seq, status) in statuses.items():
        frame = encode_frame(FrameType.STATUS, seq, status_payload(status))
        fields = [
            str(status.samples_acquired),
            str(status.tx_overflow_frames),
            str(status.adc_overruns),
            str(status.rx_errors),
            str(status.state),
            str(status.last_error),
        ]
        lines.append(frame_line(name, "status", frame, fields))
    acked = {
        AckResult.OK: (Command.START, 0x0001),
        AckResult.BAD_ARGUMENT: (Command.SET_RATE, 0x0002),
        AckResult.UNSUPPORTED: (Command.MARKER, 0x00FE),
        AckResult.BUSY: (Command.SET_CHANNELS, 0x1234),
        AckResult.EXCEEDS_ADC: (Command.SET_RATE, 0xFFFF),
    }
    for seq, (result, (command, command_seq)) in enumerate(acked.items(), start=8):
        frame = encode_frame(FrameType.ACK, seq, ack_payload(Ack(command, command_seq, result)))
        fields = [f"0x{command:02x}", f"0x{command_seq:04x}", str(int(result))]
        lines.append(frame_line(f"ack_{result.name.lower()}", "ack", frame, fields))
    return lines


HOST_COMMANDS: list[tuple[str, Command, int, int | None]] = [
    ("cmd_hello", Command.HELLO, 0x0000, None),
    ("cmd_start", Command.START, 0x0001, None),
    ("cmd_stop", Command.STOP, 0x0002, None),
    ("cmd_set_rate_1000", Command.SET_RATE, 0x0003, 1000),
    ("cmd_set_channels_8", Command.SET_CHANNELS, 0x0004, 8),
    ("cmd_marker_0101", Command.MARKER, 0x0005, 0x0101),
    ("cmd_ping", Command.PING, 0xFFFF, None),
]


def command_lines() -> list[str]:
    """One vector per host command."""
    lines = []
    for name, command, seq, argument in HOST_COMMANDS:
        frame = encode_command(command, seq, argument)
        if argument is None:
            fields = []
        elif command is Command.MARKER:
            fields = [f"0x{argument:04x}"]
        else:
            fields = [str(argument)]
        lines.append(frame_line(name, f"cmd_{command.name.lower()}", frame, fields))
    return lines


def samples(seq: int, channels: int = 8) -> bytes:
    """One SAMPLES frame whose counts derive from its seq (all within 0..1023)."""
    counts = (np.arange(channels) * 97 + seq * 13) % 1024
    return encode_samples_block(seq, counts.reshape(1, channels))


def stream_cases() -> list[tuple[str, int, bytes, list[bytes], tuple[int, int, int, int, int]]]:
    """(name, channels, input, accepted frames, (frames, crc, malformed, garbage, pending))."""
    status = encode_frame(FrameType.STATUS, 7, status_payload(Status(3, 0, 0, 0, 1, 0)))
    s21_bad_crc = samples(21)[:-1] + bytes([samples(21)[-1] ^ 0x01])
    s70_bad_len = samples(70)[:5] + b"\xff" + samples(70)[6:]
    fake = bytes.fromhex("a55a020000031122334455")
    follow = [samples(seq) for seq in range(71, 82)]
    ident = encode_frame(
        FrameType.IDENTITY,
        0,
        identity_payload(
            Identity(1, (1, 0, 0), 1, 8, 1000, 10, 5000, (0,) * 8, "microexp-mega2560")
        ),
    )
    ack = encode_frame(FrameType.ACK, 1, ack_payload(Ack(Command.START, 3, AckResult.OK)))
    marker = encode_frame(FrameType.MARKER, 2, marker_payload(MarkerEcho(2, 0x0200, 0)))
    commands = [encode_command(command, seq, arg) for _, command, seq, arg in HOST_COMMANDS]
    four_ch = encode_samples_block(49, np.array([[1, 2, 3, 4]], dtype=np.uint16))
    unknown = encode_frame(0x10, 0, b"\x01\x02")
    short_status = encode_frame(FrameType.STATUS, 8, bytes(15))
    clean = [samples(0xFFFE), samples(0xFFFF), samples(0x0000), status]
    mixed = [ident, ack, samples(0), samples(1), marker, samples(2), status]
    return [
        ("clean_seq_wrap", 8, b"".join(clean), clean, (4, 0, 0, 0, 0)),
        (
            "garbage_between_and_trailing_sync0",
            8,
            b"\x00\x11\x22" + samples(10) + b"\xa5\xff\x5a" + samples(11) + b"\xa5",
            [samples(10), samples(11)],
            (2, 0, 0, 6, 1),
        ),
        (
            "corrupted_crc",
            8,
            samples(20) + s21_bad_crc + samples(22),
            [samples(20), samples(22)],
            (2, 1, 0, 24, 0),
        ),
        (
            "truncated_then_good",
            8,
            samples(30) + samples(31)[:10] + samples(32) + samples(33),
            [samples(30), samples(32), samples(33)],
            (3, 1, 0, 10, 0),
        ),
        ("truncated_at_end", 8, samples(40) + samples(41)[:15], [samples(40)], (1, 0, 0, 0, 15)),
        (
            "malformed_valid_crc",
            8,
            four_ch + unknown + short_status + samples(50),
            [samples(50)],
            (1, 0, 3, 0, 0),
        ),
        ("sync_in_garbage", 8, fake + samples(60), [samples(60)], (1, 1, 0, 11, 0)),
        ("corrupted_len", 8, s70_bad_len + b"".join(follow), follow, (11, 1, 0, 24, 0)),
        ("mixed_device_frames", 8, b"".join(mixed), mixed, (7, 0, 0, 0, 0)),
        ("host_commands", 8, b"".join(commands), commands, (7, 0, 0, 0, 0)),
        (
            "samples_16ch",
            16,
            samples(5, 16) + samples(6, 16),
            [samples(5, 16), samples(6, 16)],
            (2, 0, 0, 0, 0),
        ),
    ]


def reencoded(result: codec.DecodeResult) -> bytes:
    """The accepted frames of a decode result, re-encoded in stream order."""
    out = []
    for item in result.items:
        if isinstance(item, Frame):
            out.append(encode_frame(item.frame_type, item.seq, item.payload))
        else:
            out.append(encode_samples_block(item.first_seq, item.counts))
    return b"".join(out)


def stream_lines() -> list[str]:
    """Lines of streams.txt, checked against the host decoder before they are written."""
    lines = []
    for name, channels, data, accepted, counters in stream_cases():
        state, result = codec.decode(codec.DecoderState(), data, channels)
        got = (
            result.frames,
            result.crc_errors,
            result.malformed,
            result.garbage_bytes,
            len(state.pending),
        )
        expected = b"".join(accepted)
        if got != counters or reencoded(result) != expected:
            sys.exit(f"{name}: decoder gives {got}, vector says {counters}")
        numbers = " ".join(map(str, counters))
        lines.append(f"{name} {channels} {numbers} {hex_or_dash(data)} {hex_or_dash(expected)}")
    return lines


def write(name: str, header: str, lines: list[str]) -> None:
    """Write one vector file: the header comment, then one vector per line."""
    text = header.strip() + "\n" + "\n".join(lines) + "\n"
    (VECTORS / name).write_text(text, encoding="ascii")


CRC_HEADER = """
# CRC-16/CCITT-FALSE vectors (poly 0x1021, init 0xffff, no reflection, xorout 0).
# name input_hex expected_crc      ('-' = empty input)
"""
FRAMES_HEADER = """
# One frame per line: device frames and host commands of protocol v1.
# name kind type seq payload_hex frame_hex [fields...]        ('-' = empty payload)
# fields by kind (decimal, or 0x-prefixed hex):
#   samples   channels count_0 .. count_{channels-1}
#   identity  protocol_version fw_major fw_minor fw_patch board_id flags channel_count
#             sample_rate_hz adc_bits adc_vref_mv kind_0 .. kind_{channel_count-1} board_name
#   marker    sample_index code source
#   status    samples_acquired tx_overflow_frames adc_overruns rx_errors state last_error
#   ack       command command_seq result
#   cmd_hello cmd_start cmd_stop cmd_ping   (none)
#   cmd_set_rate      rate_hz
#   cmd_set_channels  count
#   cmd_marker        code
"""
STREAMS_HEADER = """
# Byte streams through the host receiver (PROTOCOL.md, Receiving), decoded in one call.
# name channels frames crc_errors malformed garbage_bytes pending_bytes input_hex expected_hex
# expected_hex = the accepted frames, re-encoded and concatenated in stream order.
"""


def main() -> None:
    """Regenerate crc.txt, frames.txt and streams.txt."""
    VECTORS.mkdir(parents=True, exist_ok=True)
    write("crc.txt", CRC_HEADER, crc_lines())
    write("frames.txt", FRAMES_HEADER, device_frame_lines() + command_lines())
    write("streams.txt", STREAMS_HEADER, stream_lines())


if __name__ == "__main__":
    main()
