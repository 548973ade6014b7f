"""The golden vectors of firmware/vectors/ encode to their bytes and decode back to their fields."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.device.codec import DecoderState, SampleRun, decode, parse_frame
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
    crc16_ccitt_false,
    crc16_rows,
    encode_command,
    encode_frame,
    encode_samples_block,
    identity_payload,
    marker_payload,
    status_payload,
)

VECTORS = Path(__file__).resolve().parents[2] / "firmware" / "vectors"
MAX_LINE_CHARS = 2048
NUMBER = re.compile(r"0|[1-9][0-9]*|0x[0-9a-f]+")
HEX = re.compile(r"-|(?:[0-9a-f]{2})+")
COMMANDS = {f"cmd_{command.name.lower()}": command for command in Command}


def crc16_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE bit by bit, independent of binascii and the lookup tables."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def vector_lines(name: str) -> list[list[str]]:
    """The whitespace-split vectors of one file, comments and blank lines skipped."""
    text = (VECTORS / name).read_text(encoding="ascii")
    lines = [line.split() for line in text.splitlines()]
    return [fields for fields in lines if fields and not fields[0].startswith("#")]


def unhex(token: str) -> bytes:
    """Bytes of a hex field ('-' is empty)."""
    return b"" if token == "-" else bytes.fromhex(token)


def num(token: str) -> int:
    """A decimal or 0x-hex number field, as C's strtol(s, NULL, 0) reads it."""
    assert NUMBER.fullmatch(token), token
    return int(token, 0)


CRC = vector_lines("crc.txt")
FRAMES = vector_lines("frames.txt")
STREAMS = vector_lines("streams.txt")


def ids(vectors: list[list[str]]) -> list[str]:
    """Test ids: the vector names."""
    return [fields[0] for fields in vectors]


@pytest.mark.parametrize("name", ["crc.txt", "frames.txt", "streams.txt", "README.md"])
def test_files_are_ascii_with_short_lines(name: str) -> None:
    text = (VECTORS / name).read_text(encoding="ascii")
    assert all(len(line) <= MAX_LINE_CHARS for line in text.splitlines())
    assert "\t" not in text and "\r" not in text


def test_vector_names_are_unique() -> None:
    for vectors in (CRC, FRAMES, STREAMS):
        names = ids(vectors)
        assert len(names) == len(set(names))


@pytest.mark.parametrize("vector", CRC, ids=ids(CRC))
def test_crc_vectors(vector: list[str]) -> None:
    _, data_hex, crc_text = vector
    assert HEX.fullmatch(data_hex)
    data, expected = unhex(data_hex), num(crc_text)
    assert crc16_bitwise(data) == expected
    assert crc16_ccitt_false(data) == expected
    row = np.frombuffer(data, dtype=np.uint8).reshape(1, len(data))
    assert int(crc16_rows(row)[0]) == expected


def test_crc_check_value_and_empty_input_are_covered() -> None:
    table = {unhex(data): num(crc) for _, data, crc in CRC}
    assert table[b"123456789"] == 0x29B1
    assert table[b""] == 0xFFFF


def encode_vector(kind: str, seq: int, fields: list[str]) -> bytes:
    """The frame a vector describes, built from its fields with the protocol encoders."""
    values = [num(f) for f in fields[:-1]] if kind == "identity" else [num(f) for f in fields]
    if kind == "samples":
        channels, counts = values[0], values[1:]
        assert len(counts) == channels
        return encode_samples_block(seq, np.array([counts], dtype=np.uint16))
    if kind == "identity":
        version, major, minor, patch, board, flags, channels, rate, bits, vref = values[:10]
        kinds = tuple(values[10:])
        assert len(kinds) == channels
        identity = Identity(
            version, (major, minor, patch), board, channels, rate, bits, vref, kinds,
            fields[-1], bool(flags & 1), bool(flags & 2),
        )  # fmt: skip
        return encode_frame(FrameType.IDENTITY, seq, identity_payload(identity))
    if kind == "marker":
        return encode_frame(FrameType.MARKER, seq, marker_payload(MarkerEcho(*values)))
    if kind == "status":
        return encode_frame(FrameType.STATUS, seq, status_payload(Status(*values)))
    if kind == "ack":
        return encode_frame(FrameType.ACK, seq, ack_payload(Ack(*values)))
    return encode_command(COMMANDS[kind], seq, values[0] if values else None)


@pytest.mark.parametrize("vector", FRAMES, ids=ids(FRAMES))
def test_frame_vectors_have_the_documented_layout(vector: list[str]) -> None:
    _, _, type_text, seq_text, payload_hex, frame_hex = vector[:6]
    assert HEX.fullmatch(payload_hex) and HEX.fullmatch(frame_hex)
    frame_type, seq, payload = num(type_text), num(seq_text), unhex(payload_hex)
    body = struct.pack("<BHB", frame_type, seq, len(payload)) + payload
    assert unhex(frame_hex) == b"\xa5\x5a" + body + struct.pack("<H", crc16_bitwise(body))


@pytest.mark.parametrize("vector", FRAMES, ids=ids(FRAMES))
def test_frame_vectors_encode_to_their_bytes(vector: list[str]) -> None:
    _, kind, _, seq_text, _, frame_hex, *fields = vector
    assert encode_vector(kind, num(seq_text), fields) == unhex(frame_hex)


@pytest.mark.parametrize("vector", FRAMES, ids=ids(FRAMES))
def test_frame_vectors_decode_to_their_fields(vector: list[str]) -> None:
    _, kind, type_text, seq_text, payload_hex, frame_hex, *fields = vector
    channels = num(fields[0]) if kind == "samples" else 8
    state, result = decode(DecoderState(), unhex(frame_hex), channels)
    assert (result.frames, result.crc_errors, result.malformed, result.garbage_bytes) == (
        1,
        0,
        0,
        0,
    )
    assert state.pending == b""
    (item,) = result.items
    if kind == "samples":
        assert isinstance(item, SampleRun)
        assert item.first_seq == num(seq_text)
        assert item.counts.tolist() == [[num(f) for f in fields[1:]]]
        return
    assert item == Frame(num(type_text), num(seq_text), unhex(payload_hex))
    record = parse_frame(item)
    if kind.startswith("cmd_"):
        assert record is None
        return
    assert record is not None
    again = encode_vector(kind, num(seq_text), fields)
    assert encode_frame(item.frame_type, item.seq, item.payload) == again


def test_frame_vectors_cover_the_protocol() -> None:
    by_kind: dict[str, list[list[str]]] = {}
    for vector in FRAMES:
        by_kind.setdefault(vector[1], []).append(vector)
    assert {num(v[6]) for v in by_kind["samples"]} >= {1, 8, 16}
    assert 0xFFFF in {num(v[3]) for v in by_kind["samples"]}
    assert {num(v[10]) for v in by_kind["identity"]} >= {BoardId.MEGA2560, BoardId.SIMULATOR}
    assert {num(v[8]) for v in by_kind["marker"]} >= {MarkerSource.HOST, MarkerSource.TRIGGER}
    assert by_kind["status"]
    assert {num(v[8]) for v in by_kind["ack"]} == set(AckResult)
    assert set(COMMANDS) <= set(by_kind)
    arguments = {v[1]: num(v[6]) for v in FRAMES if v[1].startswith("cmd_") and len(v) > 6}
    assert arguments == {"cmd_set_rate": 1000, "cmd_set_channels": 8, "cmd_marker": 0x0101}


def stream_output(result_items: list[SampleRun | Frame]) -> bytes:
    """The accepted frames, re-encoded and concatenated in stream order."""
    out = []
    for item in result_items:
        if isinstance(item, Frame):
            out.append(encode_frame(item.frame_type, item.seq, item.payload))
        else:
            out.append(encode_samples_block(item.first_seq, item.counts))
    return b"".join(out)


@pytest.mark.parametrize("vector", STREAMS, ids=ids(STREAMS))
@pytest.mark.parametrize("chunk_bytes", [None, 1, 7])
def test_stream_vectors(vector: list[str], chunk_bytes: int | None) -> None:
    _, channels_text, *counter_texts, input_hex, expected_hex = vector
    assert HEX.fullmatch(input_hex) and HEX.fullmatch(expected_hex)
    data, channels = unhex(input_hex), num(channels_text)
    step = chunk_bytes or max(1, len(data))
    state = DecoderState()
    items: list[SampleRun | Frame] = []
    totals = [0, 0, 0, 0]
    for start in range(0, len(data), step):
        state, result = decode(state, data[start : start + step], channels)
        items.extend(result.items)
        got = (result.frames, result.crc_errors, result.malformed, result.garbage_bytes)
        totals = [a + b for a, b in zip(totals, got, strict=True)]
    assert [*totals, len(state.pending)] == [num(t) for t in counter_texts]
    assert stream_output(items) == unhex(expected_hex)


def test_stream_vectors_cover_the_receiving_rule() -> None:
    names = set(ids(STREAMS))
    assert {"corrupted_crc", "truncated_then_good", "truncated_at_end", "corrupted_len"} <= names
    assert any(num(v[4]) > 0 for v in STREAMS)  # malformed
    assert any(num(v[5]) > 0 for v in STREAMS)  # garbage
