"""Properties of the codec on arbitrary and corrupted streams, checked against a scalar reference.

The reference decoder below is the receiving rule of PROTOCOL.md written as plainly as
possible (byte-by-byte sync hunt, binascii CRC, one frame at a time). The real decoder's
vectorised fast path must agree with it exactly on every input.
"""

from __future__ import annotations

import binascii
import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from microexp_tui.device.codec import (
    DecodeResult,
    DecoderState,
    SampleRun,
    TrackerState,
    decode,
    index_run,
)
from microexp_tui.device.protocol import (
    Ack,
    Command,
    Frame,
    FrameType,
    Identity,
    MarkerEcho,
    Status,
    ack_payload,
    crc16_rows,
    encode_frame,
    encode_samples_block,
    identity_payload,
    marker_payload,
    parse_identity,
    status_payload,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_FRAME_BYTES = 8 + 255
REFERENCE_SIZES: dict[int, int] = {
    FrameType.MARKER: 7,
    FrameType.STATUS: 16,
    FrameType.ACK: 4,
    Command.HELLO: 0,
    Command.START: 0,
    Command.STOP: 0,
    Command.SET_RATE: 2,
    Command.SET_CHANNELS: 1,
    Command.MARKER: 2,
    Command.PING: 0,
}


@dataclass
class Decoded:
    """Decoder output flattened to one Frame per frame, with counters and the pending tail."""

    frames: list[Frame]
    counters: tuple[int, int, int, int]
    pending: bytes


def reference_valid(frame_type: int, payload: bytes, channels: int) -> bool:
    """Whether a CRC-valid frame is acceptable, written independently of the codec."""
    if frame_type == FrameType.SAMPLES:
        return len(payload) == 2 * channels
    if frame_type == FrameType.IDENTITY:
        try:
            parse_identity(payload)
        except ValueError:
            return False
        return True
    return REFERENCE_SIZES.get(frame_type) == len(payload)


def reference_scan(data: bytes, channels: int) -> tuple[Decoded, list[tuple[int, int]]]:
    """The receiving rule, one byte and one frame at a time; also where CRC-valid frames lie."""
    frames: list[Frame] = []
    spans: list[tuple[int, int]] = []
    crc_errors = malformed = garbage = 0
    pos = 0
    while True:
        while pos + 1 < len(data) and data[pos : pos + 2] != b"\xa5\x5a":
            pos += 1
            garbage += 1
        if pos + 1 >= len(data):
            if pos < len(data) and data[pos] != 0xA5:
                pos += 1
                garbage += 1
            break
        if len(data) - pos < 6 or len(data) - pos < 8 + data[pos + 5]:
            break
        length = data[pos + 5]
        body = data[pos + 2 : pos + 6 + length]
        crc = int.from_bytes(data[pos + 6 + length : pos + 8 + length], "little")
        if binascii.crc_hqx(body, 0xFFFF) != crc:
            crc_errors += 1
            garbage += 1
            pos += 1
            continue
        frame = Frame(body[0], int.from_bytes(body[1:3], "little"), body[4:])
        if reference_valid(frame.frame_type, frame.payload, channels):
            frames.append(frame)
        else:
            malformed += 1
        spans.append((pos, pos + 8 + length))
        pos += 8 + length
    decoded = Decoded(frames, (len(frames), crc_errors, malformed, garbage), data[pos:])
    return decoded, spans


def reference_decode(data: bytes, channels: int) -> Decoded:
    """What the reference receiver delivers for the bytes."""
    return reference_scan(data, channels)[0]


def flatten(items: list[SampleRun | Frame]) -> list[Frame]:
    """Decode items with every run expanded back into one SAMPLES Frame per sample set."""
    frames: list[Frame] = []
    for item in items:
        if isinstance(item, Frame):
            frames.append(item)
            continue
        for row, counts in enumerate(item.counts):
            seq = (item.first_seq + row) % 65536
            frames.append(Frame(FrameType.SAMPLES, seq, counts.astype("<u2").tobytes()))
    return frames


def counters(result: DecodeResult) -> tuple[int, int, int, int]:
    """The counters of one decode call."""
    return (result.frames, result.crc_errors, result.malformed, result.garbage_bytes)


def decode_chunks(data: bytes, cuts: list[int], channels: int) -> tuple[Decoded, list]:
    """Decode data split at the cut points; returns the flattened output and raw items."""
    state = DecoderState()
    items: list[SampleRun | Frame] = []
    totals = np.zeros(4, dtype=np.int64)
    bounds = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    for start, stop in itertools.pairwise(bounds):
        state, result = decode(state, data[start:stop], channels)
        items.extend(result.items)
        totals += counters(result)
    as_tuple = (int(totals[0]), int(totals[1]), int(totals[2]), int(totals[3]))
    return Decoded(flatten(items), as_tuple, state.pending), items


def other_frame(kind: int, seq: int) -> bytes:
    """A valid non-SAMPLES frame (or a CRC-valid malformed one for kinds 7..9)."""
    identity = Identity(1, (1, 2, 3), 0xFE, 4, 500, 10, 5000, (0, 1, 0, 1), "sim", True)
    payloads = {
        0: (FrameType.STATUS, status_payload(Status(seq * 3, 1, 2, 3, 1, 0))),
        1: (FrameType.MARKER, marker_payload(MarkerEcho(seq * 7, 0x0101, 1))),
        2: (FrameType.ACK, ack_payload(Ack(Command.START, seq, 0))),
        3: (FrameType.IDENTITY, identity_payload(identity)),
        4: (Command.SET_RATE, (1000).to_bytes(2, "little")),
        5: (Command.PING, b""),
        6: (Command.SET_CHANNELS, b"\x08"),
        7: (0x10, b"\x01\x02"),  # unknown type
        8: (FrameType.STATUS, bytes(15)),  # wrong length
        9: (FrameType.SAMPLES, bytes(6)),  # 3 channels on the link
    }
    frame_type, payload = payloads[kind]
    return encode_frame(frame_type, seq, payload)


segment = st.one_of(
    st.tuples(st.just("samples"), st.integers(1, 60), st.integers(0, 65535), st.integers(0, 2**32)),
    st.tuples(st.just("other"), st.integers(0, 9), st.integers(0, 65535), st.just(0)),
)


def build_frames(segments: list[tuple[str, int, int, int]], channels: int) -> list[bytes]:
    """The frames of the segments, one bytes object per frame (full-range u16 counts)."""
    frames: list[bytes] = []
    for kind, a, b, seed in segments:
        if kind == "other":
            frames.append(other_frame(a, b))
            continue
        counts = np.random.default_rng(seed).integers(0, 65536, (a, channels))
        block = encode_samples_block(b, counts)
        size = len(block) // a
        frames.extend(block[i * size : (i + 1) * size] for i in range(a))
    return frames


corruption = st.tuples(
    st.sampled_from(["flip", "delete", "truncate", "insert", "sync"]),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.binary(min_size=1, max_size=12),
)


def corrupt(frame: bytes, op: str, where: int, bit: int, junk: bytes) -> bytes:
    """The frame damaged by one corruption."""
    at = where % len(frame)
    inside = 1 + where % (len(frame) - 1)  # insertions never leave the frame whole
    if op == "flip":
        return frame[:at] + bytes([frame[at] ^ (1 << bit % 8)]) + frame[at + 1 :]
    if op == "delete":
        return frame[:at] + frame[at + 1 :]
    if op == "truncate":
        return frame[:at]
    if op == "insert":
        return frame[:inside] + junk + frame[inside:]
    return frame[:inside] + b"\xa5\x5a" + junk + frame[inside:]


@st.composite
def damaged_streams(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, int]], int]:
    """Frames with random corruption: the bytes, where intact frames lie, and channels."""
    channels = draw(st.sampled_from([1, 2, 8, 16]))
    frames = build_frames(draw(st.lists(segment, min_size=1, max_size=8)), channels)
    damage = draw(st.lists(st.tuples(st.integers(0, 10_000), corruption), max_size=6))
    by_index = {index % len(frames): how for index, how in damage}
    gaps = draw(st.dictionaries(st.integers(0, 10_000), st.binary(max_size=20), max_size=4))
    gap_at = {index % (len(frames) + 1): junk for index, junk in gaps.items()}
    parts: list[bytes] = []
    intact: list[tuple[int, int]] = []
    size = 0
    for index, frame in enumerate(frames):
        parts.append(gap_at.get(index, b""))
        size += len(parts[-1])
        if index in by_index:
            parts.append(corrupt(frame, *by_index[index]))
        else:
            parts.append(frame)
            intact.append((size, size + len(frame)))
        size += len(parts[-1])
    parts.append(gap_at.get(len(frames), b""))
    return b"".join(parts), intact, channels


@SETTINGS
@given(
    n_rows=st.integers(0, 40),
    n_bytes=st.integers(0, 40),
    offset=st.integers(0, 3),
    seed=st.integers(0, 2**32),
)
def test_vectorised_crc_matches_binascii_row_by_row(
    n_rows: int, n_bytes: int, offset: int, seed: int
) -> None:
    wide = np.random.default_rng(seed).integers(0, 256, (n_rows, n_bytes + 4), dtype=np.uint8)
    rows = wide[:, offset : offset + n_bytes]  # a strided view, as the decoder passes it
    got = crc16_rows(rows)
    assert got.dtype == np.uint16 and got.shape == (n_rows,)
    assert got.tolist() == [binascii.crc_hqx(row.tobytes(), 0xFFFF) for row in rows]


@st.composite
def noisy_bytes(draw: st.DrawFn) -> tuple[bytes, int]:
    """Random bytes rich in sync bytes, frame headers and spliced valid frames."""
    channels = draw(st.integers(1, 16))
    block = st.builds(
        lambda seq, n: encode_samples_block(seq, np.full((n, channels), seq % 1024)),
        st.integers(0, 65535),
        st.integers(1, 20),
    )
    pieces = st.one_of(
        st.binary(max_size=30),
        st.sampled_from([b"\xa5", b"\x5a", b"\xa5\x5a", b"\xa5\x5a\x01", b"\xa5\x5a\x04"]),
        st.builds(other_frame, st.integers(0, 9), st.integers(0, 65535)),
        block,
        block.map(lambda frames: frames[: len(frames) // 2]),
    )
    return b"".join(draw(st.lists(pieces, max_size=30))), channels


@SETTINGS
@given(data=st.binary(max_size=600), channels=st.integers(1, 16))
def test_random_bytes_never_raise_and_match_the_reference(data: bytes, channels: int) -> None:
    state, result = decode(DecoderState(), data, channels)
    got = Decoded(flatten(result.items), counters(result), state.pending)
    assert got == reference_decode(data, channels)


@SETTINGS
@given(case=noisy_bytes())
def test_noisy_bytes_never_raise_and_match_the_reference(case: tuple[bytes, int]) -> None:
    data, channels = case
    state, result = decode(DecoderState(), data, channels)
    got = Decoded(flatten(result.items), counters(result), state.pending)
    assert got == reference_decode(data, channels)


@SETTINGS
@given(stream=damaged_streams())
def test_damaged_streams_match_the_reference(
    stream: tuple[bytes, list[tuple[int, int]], int],
) -> None:
    data, _, channels = stream
    state, result = decode(DecoderState(), data, channels)
    got = Decoded(flatten(result.items), counters(result), state.pending)
    assert got == reference_decode(data, channels)


@SETTINGS
@given(stream=damaged_streams())
def test_no_bad_frame_is_returned_and_every_intact_frame_is_recovered(
    stream: tuple[bytes, list[tuple[int, int]], int],
) -> None:
    data, intact, channels = stream
    data += bytes(MAX_FRAME_BYTES)  # the link goes on: every frame gets its verdict
    state, result = decode(DecoderState(), data, channels)
    assert len(state.pending) == 0
    frames = flatten(result.items)
    for frame in frames:
        assert encode_frame(frame.frame_type, frame.seq, frame.payload) in data
    reference, spans = reference_scan(data, channels)
    assert frames == reference.frames
    found = set(spans)
    for start, end in intact:
        if (start, end) in found:
            continue
        assert any(s < end and start < e for s, e in spans), f"intact frame at {start} lost"
        event("a corrupted frame passed its CRC by chance and hid an intact one")


@SETTINGS
@given(stream=damaged_streams(), cuts=st.lists(st.integers(0, 100_000), max_size=12))
def test_chunking_does_not_change_the_output(
    stream: tuple[bytes, list[tuple[int, int]], int], cuts: list[int]
) -> None:
    data, _, channels = stream
    state, whole = decode(DecoderState(), data, channels)
    chunked, _ = decode_chunks(data, cuts, channels)
    assert chunked == Decoded(flatten(whole.items), counters(whole), state.pending)


@SETTINGS
@given(stream=damaged_streams())
def test_runs_are_maximal_typed_and_every_byte_is_accounted_for(
    stream: tuple[bytes, list[tuple[int, int]], int],
) -> None:
    data, _, channels = stream
    state, result = decode(DecoderState(), data, channels)
    frame_bytes = 0
    previous: SampleRun | Frame | None = None
    for item in result.items:
        if isinstance(item, SampleRun):
            assert item.counts.dtype == np.uint16
            assert item.counts.ndim == 2 and item.counts.shape[1] == channels
            assert item.counts.shape[0] >= 1
            frame_bytes += item.counts.shape[0] * (8 + 2 * channels)
            if isinstance(previous, SampleRun):
                follows = (previous.first_seq + previous.counts.shape[0]) % 65536
                assert item.first_seq != follows
        else:
            frame_bytes += 8 + len(item.payload)
        previous = item
    assert len(state.pending) < MAX_FRAME_BYTES
    malformed_bytes = len(data) - frame_bytes - result.garbage_bytes - len(state.pending)
    assert malformed_bytes >= 8 * result.malformed
    assert (malformed_bytes == 0) == (result.malformed == 0)


@st.composite
def tracked_runs(draw: st.DrawFn, max_gap: int) -> tuple[int, list[tuple[int, int]]]:
    """A first index and (gap before, length) of each following run."""
    first = draw(st.integers(0, 65535))
    small = st.integers(0, 40)
    gap = st.one_of(small, small, st.integers(0, max_gap))
    runs = draw(st.lists(st.tuples(gap, st.integers(1, 50)), min_size=1, max_size=25))
    return first, runs


def check_tracking(
    first: int, runs: list[tuple[int, int]], rate_hz: int, clock: str, jitter_s: list[float]
) -> None:
    """Feed runs to the tracker and check every index and every lost sample."""
    state = TrackerState()
    index = 0
    plan = [(first, runs[0][1]), *runs[1:]]  # the first run's gap is counted from START
    for k, (gap, n) in enumerate(plan):
        index += gap
        late_s = jitter_s[k % len(jitter_s)]
        received = (index + n) / rate_hz + late_s if clock == "real" else 0.0
        run = SampleRun(index % 65536, np.zeros((n, 1), np.uint16))
        state, indexed = index_run(state, run, received, rate_hz)
        assert indexed is not None
        assert (indexed.first_index, indexed.lost_before) == (index, gap)
        index += n
    assert state.next_index == index


@SETTINGS
@given(
    case=tracked_runs(max_gap=400_000),
    rate_hz=st.sampled_from([250, 500, 1000, 2000]),
    jitter_s=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=5),
)
def test_tracker_counts_every_lost_sample_with_a_real_clock(
    case: tuple[int, list[tuple[int, int]]], rate_hz: int, jitter_s: list[float]
) -> None:
    check_tracking(*case, rate_hz, "real", jitter_s)


@SETTINGS
@given(case=tracked_runs(max_gap=250), rate_hz=st.sampled_from([250, 1000, 2000]))
def test_tracker_counts_every_lost_sample_without_a_clock(
    case: tuple[int, list[tuple[int, int]]], rate_hz: int
) -> None:
    """Unpaced (every run received at once), runs and gaps spanning at most a second after the
    first run are counted exactly; a jump beyond is one the host clock cannot explain
    (`clock_rule`, tested in test_codec)."""
    assume(sum(gap + n for gap, n in case[1][1:]) <= rate_hz)
    check_tracking(*case, rate_hz, "unpaced", [0.0])


@SETTINGS
@given(
    start=st.integers(65536 - 3000, 65535),
    drops=st.lists(st.tuples(st.integers(0, 5999), st.integers(1, 400)), max_size=8),
    cuts=st.lists(st.integers(0, 10**6), max_size=10),
)
def test_frames_dropped_on_the_link_are_counted_exactly_across_the_wrap(
    start: int, drops: list[tuple[int, int]], cuts: list[int]
) -> None:
    total = 6000
    keep = np.ones(total, dtype=bool)
    for at, length in drops:
        keep[at : at + length] = False
    keep[0] = True  # the first frame anchors the run's position
    counts = np.random.default_rng(start).integers(0, 1024, (total, 8))
    frames = encode_samples_block(start, counts)
    data = b"".join(frames[i * 24 : (i + 1) * 24] for i in np.flatnonzero(keep))
    _, items = decode_chunks(data, cuts, 8)
    state = TrackerState()
    lost = 0
    rows: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    for item in items:  # received when sent: the host clock explains every drop
        sent_index = start + (item.first_seq - start) % 65536 + item.counts.shape[0]
        state, indexed = index_run(state, item, sent_index / 1000, 1000)
        assert indexed is not None
        lost += indexed.lost_before
        rows.append(indexed.counts)
        indices.append(np.arange(indexed.first_index, indexed.stop_index))
    last_kept = int(np.flatnonzero(keep)[-1])
    assert lost == start + int((~keep[:last_kept]).sum())
    np.testing.assert_array_equal(np.concatenate(indices), start + np.flatnonzero(keep))
    np.testing.assert_array_equal(np.concatenate(rows), counts[keep])
