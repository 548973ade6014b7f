"""Pure host-side codec of wire protocol v1: bytes -> frames and sample runs -> indexed runs.

`decode` turns received bytes into SAMPLES runs (one numpy array per run of consecutive
sequence numbers) and the other frames, following the receiving rule of
firmware/PROTOCOL.md: hunt for the sync bytes, wait for the whole frame, check its CRC,
and after a CRC failure resume one byte after the rejected frame's first sync byte.
Steady SAMPLES traffic takes a vectorised fast path (whole blocks of frames checked with
`protocol.crc16_rows`); anything else takes the scalar path, which defines the semantics.

Frames with a valid CRC but a payload that does not fit their type (SAMPLES whose length
is not 2 x channels, STATUS/MARKER/ACK/command payloads of the wrong size, an IDENTITY
that `protocol.parse_identity` rejects) or of an unknown type are counted as `malformed`
and dropped, so `parse_frame` never raises on a frame `decode` returned. Host command
frames (0x81..0x87) are valid frames too, so a board-side decoder can use `decode`.

`index_run` unwraps the 16-bit SAMPLES sequence numbers into absolute sample indices and
counts lost samples; a run that lies behind the expected index is returned as None and
is counted by the caller as a discarded run.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from microexp_tui.device.clock_rule import host_explains, latest_board_s, next_offset_s
from microexp_tui.device.protocol import (
    ACK_STRUCT,
    CRC_BYTES,
    HEADER_BYTES,
    MARKER_STRUCT,
    MAX_CHANNELS,
    OVERHEAD_BYTES,
    STATUS_STRUCT,
    SYNC,
    Ack,
    Command,
    Frame,
    FrameType,
    Identity,
    MarkerEcho,
    Status,
    crc16_ccitt_false,
    crc16_rows,
    parse_ack,
    parse_identity,
    parse_marker,
    parse_status,
)

SEQ_MODULUS = 1 << 16
"""Sequence numbers are u16: they wrap every 65536 frames."""
HALF_SEQ_RANGE = SEQ_MODULUS // 2
"""A sequence jump this large or larger is ambiguous without the receive clock."""

FAST_PATH_MIN_FRAMES = 8
"""Fewer whole SAMPLES frames than this at the read position go through the scalar path."""
FAST_PATH_START_FRAMES = 256
"""Rows checked by the first vectorised block of a call, and the least ever checked."""
FAST_PATH_MAX_FRAMES = 32768
"""Cap on rows per vectorised block, so an anomaly never wastes more than this much work."""

_SYNC0 = SYNC[0]
_SAMPLES_HEAD = SYNC + bytes([FrameType.SAMPLES])
_LE_U16 = np.dtype("<u2")
_FIXED_PAYLOAD_BYTES: dict[int, int] = {
    FrameType.MARKER: MARKER_STRUCT.size,
    FrameType.STATUS: STATUS_STRUCT.size,
    FrameType.ACK: ACK_STRUCT.size,
    Command.HELLO: 0,
    Command.START: 0,
    Command.STOP: 0,
    Command.SET_RATE: 2,
    Command.SET_CHANNELS: 1,
    Command.MARKER: 2,
    Command.PING: 0,
}
"""Exact payload sizes of the fixed-size frame types (SAMPLES and IDENTITY are checked apart)."""


@dataclass(frozen=True)
class DecoderState:
    """What `decode` carries between calls: the undecoded tail (an incomplete frame), and the
    rows its vectorised path checks at once (it only sizes the work, never the result)."""

    pending: bytes = b""
    window: int = field(default=FAST_PATH_START_FRAMES, compare=False)
    """Rows of the next vectorised block: a steady stream keeps the large window it grew to,
    so a 64 KiB read is checked in one block instead of growing from the start again."""


@dataclass(frozen=True, eq=False)
class SampleRun:
    """Sample sets of consecutive SAMPLES frames (seq + 1 each row, modulo 65536)."""

    first_seq: int
    counts: npt.NDArray[np.uint16]


@dataclass
class DecodeResult:
    """What one `decode` call found, in stream order, with its link-quality counters."""

    items: list[SampleRun | Frame] = field(default_factory=list)
    frames: int = 0
    crc_errors: int = 0
    malformed: int = 0
    garbage_bytes: int = 0


class _ItemBuilder:
    """Collects decoded items, merging consecutive SAMPLES rows into one run."""

    def __init__(self, result: DecodeResult) -> None:
        """Append items to `result.items`."""
        self.result = result
        self._pieces: list[npt.NDArray[np.uint16]] = []
        self._first_seq = 0
        self._next_seq = -1

    def add_counts(self, first_seq: int, counts: npt.NDArray[np.uint16]) -> None:
        """Add sample sets with consecutive seq starting at `first_seq`."""
        if first_seq != self._next_seq:
            self.flush()
            self._first_seq = first_seq
        self._pieces.append(counts)
        self._next_seq = (first_seq + counts.shape[0]) % SEQ_MODULUS

    def add_frame(self, frame: Frame) -> None:
        """Add a non-SAMPLES frame, closing the open run first."""
        self.flush()
        self.result.items.append(frame)

    def flush(self) -> None:
        """Close the open run, if any, as one SampleRun."""
        if not self._pieces:
            return
        pieces = self._pieces
        counts = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        self.result.items.append(SampleRun(self._first_seq, counts))
        self._pieces = []
        self._next_seq = -1


def _payload_fits(frame_type: int, payload: bytes, channels: int) -> bool:
    """Whether a CRC-valid frame's payload has the size its type requires."""
    if frame_type == FrameType.SAMPLES:
        return len(payload) == 2 * channels
    if frame_type == FrameType.IDENTITY:
        try:
            parse_identity(payload)
        except ValueError:
            return False
        return True
    expected = _FIXED_PAYLOAD_BYTES.get(frame_type)
    return expected is not None and len(payload) == expected


def _fast_samples(
    buf: bytes, pos: int, max_frames: int, channels: int, builder: _ItemBuilder
) -> tuple[int, bool]:
    """Accept the longest prefix of good SAMPLES frames at `pos`, vectorised.

    Returns the number of frames accepted and whether every row examined was good.
    """
    payload_bytes = 2 * channels
    frame_bytes = OVERHEAD_BYTES + payload_bytes
    n = min(max_frames, (len(buf) - pos) // frame_bytes)
    rows = np.frombuffer(buf, dtype=np.uint8, count=n * frame_bytes, offset=pos)
    rows = rows.reshape(n, frame_bytes)
    header_ok = (
        (rows[:, 0] == _SYNC0)
        & (rows[:, 1] == SYNC[1])
        & (rows[:, 2] == FrameType.SAMPLES)
        & (rows[:, 5] == payload_bytes)
    )
    n_good = n if bool(header_ok.all()) else int(np.argmin(header_ok))
    if n_good == 0:
        return 0, False
    rows = rows[:n_good]
    crc_end = frame_bytes - CRC_BYTES
    crc_ok = crc16_rows(rows[:, 2:crc_end]) == rows[:, crc_end:].copy().view(_LE_U16)[:, 0]
    if not bool(crc_ok.all()):
        n_good = int(np.argmin(crc_ok))
        rows = rows[:n_good]
    if n_good:
        _add_sample_rows(rows, channels, builder)
    return n_good, n_good == n


def _add_sample_rows(rows: npt.NDArray[np.uint8], channels: int, builder: _ItemBuilder) -> None:
    """Hand CRC-checked SAMPLES rows to the builder, split at sequence discontinuities."""
    seqs = rows[:, 3:5].copy().view(_LE_U16)[:, 0].astype(np.uint16)
    counts = rows[:, HEADER_BYTES : HEADER_BYTES + 2 * channels].copy().view(_LE_U16)
    counts = counts.astype(np.uint16, copy=False)
    breaks = np.flatnonzero(np.diff(seqs) != 1) + 1
    starts = [0, *breaks.tolist()]
    ends = [*breaks.tolist(), rows.shape[0]]
    for start, end in zip(starts, ends, strict=True):
        builder.add_counts(int(seqs[start]), counts[start:end])


def _at_samples_block(buf: bytes, pos: int, channels: int) -> bool:
    """Whether `pos` starts enough SAMPLES-looking frames to be worth the vectorised path."""
    frame_bytes = OVERHEAD_BYTES + 2 * channels
    return (
        len(buf) - pos >= FAST_PATH_MIN_FRAMES * frame_bytes
        and buf.startswith(_SAMPLES_HEAD, pos)
        and buf[pos + 5] == 2 * channels
        and buf.startswith(_SAMPLES_HEAD, pos + frame_bytes)
    )


def _scalar_step(
    buf: bytes, pos: int, channels: int, builder: _ItemBuilder, result: DecodeResult
) -> tuple[int, bool]:
    """Decode at most one frame at or after `pos`.

    Returns the next read position and whether decoding must wait for more bytes.
    """
    end = len(buf)
    start = buf.find(SYNC, pos)
    if start < 0:
        keep = 1 if buf[end - 1] == _SYNC0 else 0
        result.garbage_bytes += end - pos - keep
        return end - keep, True
    result.garbage_bytes += start - pos
    if end - start < HEADER_BYTES:
        return start, True
    crc_at = start + HEADER_BYTES + buf[start + 5]
    if end < crc_at + CRC_BYTES:
        return start, True
    received_crc = buf[crc_at] | (buf[crc_at + 1] << 8)
    if crc16_ccitt_false(buf[start + 2 : crc_at]) != received_crc:
        result.crc_errors += 1
        result.garbage_bytes += 1
        return start + 1, False
    frame_type = buf[start + 2]
    seq = buf[start + 3] | (buf[start + 4] << 8)
    payload = buf[start + HEADER_BYTES : crc_at]
    if not _payload_fits(frame_type, payload, channels):
        result.malformed += 1
    elif frame_type == FrameType.SAMPLES:
        result.frames += 1
        counts = np.frombuffer(payload, dtype=_LE_U16).astype(np.uint16).reshape(1, channels)
        builder.add_counts(seq, counts)
    else:
        result.frames += 1
        builder.add_frame(Frame(frame_type, seq, payload))
    return crc_at + CRC_BYTES, False


def _next_window(window: int, taken: int, clean: bool) -> int:
    """Rows for the next vectorised block: double after a clean block, else twice the run seen.

    Work past an anomaly is bounded by the window, so windows follow the observed run length.
    """
    wanted = 2 * window if clean else 2 * taken
    return max(FAST_PATH_START_FRAMES, min(wanted, FAST_PATH_MAX_FRAMES))


def decode(state: DecoderState, data: bytes, channels: int) -> tuple[DecoderState, DecodeResult]:
    """Decode received bytes after `state`; pure, never raises on any byte input.

    Every byte handed in ends up in exactly one place: an accepted frame, a malformed
    frame (valid CRC, wrong payload), `garbage_bytes` (skipped while hunting for sync,
    including the first byte of each CRC-rejected frame) or the returned pending tail.
    Raises ValueError only for a channel count outside 1..16.
    """
    if not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"channels must be 1..{MAX_CHANNELS}, not {channels}")
    buf = bytes(data)
    if state.pending:
        buf = state.pending + buf
    result = DecodeResult()
    builder = _ItemBuilder(result)
    frame_bytes = OVERHEAD_BYTES + 2 * channels
    window = state.window
    pos = 0
    waiting = False
    while pos < len(buf) and not waiting:
        if _at_samples_block(buf, pos, channels):
            taken, clean = _fast_samples(buf, pos, window, channels, builder)
            result.frames += taken
            pos += taken * frame_bytes
            window = _next_window(window, taken, clean)
            if taken:
                continue
        pos, waiting = _scalar_step(buf, pos, channels, builder, result)
    builder.flush()
    return DecoderState(buf[pos:], window), result


def parse_frame(frame: Frame) -> Identity | Status | MarkerEcho | Ack | None:
    """The record a non-SAMPLES device frame carries; None for other types or bad payloads."""
    try:
        if frame.frame_type == FrameType.IDENTITY:
            return parse_identity(frame.payload)
        if frame.frame_type == FrameType.STATUS:
            return parse_status(frame.payload)
        if frame.frame_type == FrameType.MARKER:
            return parse_marker(frame.payload)
        if frame.frame_type == FrameType.ACK:
            return parse_ack(frame.payload)
    except (ValueError, struct.error):
        return None
    return None


@dataclass(frozen=True)
class TrackerState:
    """What `index_run` carries between runs.

    `offset_s` is the least receive time minus board time (index / rate) seen: the host
    clock's reference for `clock_rule`. Start it at the host time START was sent (sample 0
    cannot be sent earlier) to check the first run too; infinity means no reference yet.
    """

    next_index: int | None = None
    last_receive_time_s: float | None = None
    offset_s: float = math.inf


@dataclass(frozen=True, eq=False)
class IndexedRun:
    """A sample run placed at its absolute sample index (0 at START)."""

    first_index: int
    counts: npt.NDArray[np.uint16]
    lost_before: int
    receive_time_s: float
    resynced: bool = False
    """The run's sequence number claimed a jump the host clock cannot explain (corruption):
    it was placed by host time instead."""

    @property
    def stop_index(self) -> int:
        """Index one past the last sample set of the run."""
        return self.first_index + int(self.counts.shape[0])


def _index_jump(
    state: TrackerState, forward: int, run_samples: int, receive_time_s: float, rate_hz: int
) -> int:
    """Jump from the expected index to the run's first index; negative means stale.

    `forward` is the jump modulo 65536. Candidates are forward + k * 65536 (k = -1 is a
    backward, stale run); the one nearest the jump implied by the receive clock wins, with
    the implied jump clamped at 0 so bursts and unpaced replays fall back to plain serial
    number arithmetic (jumps of 0..32767 forward, 1..32768 back).
    """
    implied = 0.0
    if state.last_receive_time_s is not None:
        elapsed_s = receive_time_s - state.last_receive_time_s
        implied = max(0.0, elapsed_s * rate_hz - run_samples)
    wraps = math.floor((implied - forward + HALF_SEQ_RANGE - 1) / SEQ_MODULUS)
    return forward + max(wraps, -1) * SEQ_MODULUS


def index_run(
    state: TrackerState, run: SampleRun, receive_time_s: float, sample_rate_hz: int
) -> tuple[TrackerState, IndexedRun | None]:
    """Place a run at its absolute sample index, counting lost samples before it.

    The first run of a connection sits at its own seq (the samples since START before it
    count as lost). A run behind the expected index (stale or duplicated data) or an empty
    run returns None with the state unchanged; the caller counts it as a discarded run.
    Jumps of 32768 or more are resolved with the receive clock (elapsed time x rate). A jump
    that puts the run's first sample further ahead than the host clock explains
    (`clock_rule`) is corruption: the run is placed by host time and marked `resynced`.
    """
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, not {sample_rate_hz}")
    n = int(run.counts.shape[0])
    if n == 0:
        return state, None
    first_seq = run.first_seq % SEQ_MODULUS
    expected = state.next_index or 0
    if state.next_index is None:
        lost = first_seq
    else:
        forward = (first_seq - state.next_index) % SEQ_MODULUS
        lost = _index_jump(state, forward, n, receive_time_s, sample_rate_hz)
        if lost < 0:
            return state, None
    first_index = expected + lost
    resynced = not host_explains(first_index / sample_rate_hz, state.offset_s, receive_time_s)
    if resynced:  # corruption: the run goes where the host clock puts it, no loss invented
        by_host = round(latest_board_s(state.offset_s, receive_time_s) * sample_rate_hz)
        first_index = max(expected, by_host - n)
        lost = first_index - expected
    new_state = TrackerState(
        next_index=first_index + n,
        last_receive_time_s=receive_time_s,
        offset_s=next_offset_s(
            state.offset_s,
            (first_index + n) / sample_rate_hz,
            receive_time_s,
            continues=lost == 0 and not resynced,
        ),
    )
    return new_state, IndexedRun(first_index, run.counts, lost, receive_time_s, resynced)


def sample_time_s(index: int, sample_rate_hz: int) -> float:
    """Seconds after START of the sample set with this absolute index."""
    return index / sample_rate_hz
