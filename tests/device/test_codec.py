"""The framed-protocol codec: decoding rules, run merging, payload checks and the seq tracker."""

import numpy as np
import pytest

from microexp_tui.device import codec
from microexp_tui.device.codec import (
    DecoderState,
    SampleRun,
    TrackerState,
    decode,
    index_run,
    parse_frame,
    sample_time_s,
)
from microexp_tui.device.protocol import (
    Ack,
    AckResult,
    Command,
    Frame,
    FrameType,
    Identity,
    MarkerEcho,
    Status,
    ack_payload,
    encode_command,
    encode_frame,
    encode_samples_block,
    identity_payload,
    marker_payload,
    status_payload,
)

RATE_HZ = 1000
STATUS = Status(10, 0, 0, 0, 1, 0)
IDENTITY = Identity(1, (1, 0, 0), 1, 8, 1000, 10, 5000, (0,) * 8, "microexp-mega2560")


def counts_block(n: int, channels: int = 8, seed: int = 0) -> np.ndarray:
    """Random 10-bit counts."""
    return np.random.default_rng(seed).integers(0, 1024, (n, channels)).astype(np.uint16)


def runs_of(items: list) -> list[SampleRun]:
    """The SampleRun items of a decode result."""
    return [item for item in items if isinstance(item, SampleRun)]


def test_a_clean_block_decodes_to_one_run() -> None:
    counts = counts_block(1000)
    state, result = decode(DecoderState(), encode_samples_block(7, counts), 8)
    assert state.pending == b""
    assert (result.frames, result.crc_errors, result.malformed, result.garbage_bytes) == (
        1000,
        0,
        0,
        0,
    )
    (run,) = result.items
    assert isinstance(run, SampleRun)
    assert run.first_seq == 7
    assert run.counts.dtype == np.uint16
    assert run.counts.flags.writeable
    np.testing.assert_array_equal(run.counts, counts)


def test_a_run_longer_than_the_vectorised_window_stays_one_run() -> None:
    counts = counts_block(codec.FAST_PATH_MAX_FRAMES * 2 + 333, channels=2)
    _, result = decode(DecoderState(), encode_samples_block(0, counts), 2)
    (run,) = result.items
    assert isinstance(run, SampleRun)
    np.testing.assert_array_equal(run.counts, counts)


def test_consecutive_seq_across_the_wrap_is_one_run() -> None:
    counts = counts_block(40)
    _, result = decode(DecoderState(), encode_samples_block(65520, counts), 8)
    (run,) = result.items
    assert isinstance(run, SampleRun)
    assert run.first_seq == 65520
    np.testing.assert_array_equal(run.counts, counts)


def test_a_seq_jump_starts_a_new_run() -> None:
    data = encode_samples_block(100, counts_block(20)) + encode_samples_block(125, counts_block(5))
    _, result = decode(DecoderState(), data, 8)
    assert [(run.first_seq, len(run.counts)) for run in runs_of(result.items)] == [
        (100, 20),
        (125, 5),
    ]


def test_other_frames_split_runs_and_keep_stream_order() -> None:
    status = encode_frame(FrameType.STATUS, 3, status_payload(STATUS))
    data = (
        encode_samples_block(0, counts_block(30))
        + status
        + encode_samples_block(30, counts_block(30))
    )
    _, result = decode(DecoderState(), data, 8)
    kinds = [type(item).__name__ for item in result.items]
    assert kinds == ["SampleRun", "Frame", "SampleRun"]
    assert result.items[1] == Frame(FrameType.STATUS, 3, status_payload(STATUS))
    assert result.frames == 61


def test_garbage_between_frames_of_one_run_does_not_split_it() -> None:
    counts = counts_block(20)
    frames = encode_samples_block(0, counts)
    data = frames[: 10 * 24] + b"\x00\x01\x02" + frames[10 * 24 :]
    _, result = decode(DecoderState(), data, 8)
    (run,) = result.items
    assert isinstance(run, SampleRun)
    np.testing.assert_array_equal(run.counts, counts)
    assert result.garbage_bytes == 3


def test_a_crc_failure_resumes_one_byte_after_the_sync() -> None:
    frames = bytearray(encode_samples_block(0, counts_block(12)))
    frames[5] = 0xFF  # the first frame's length byte now claims 255 bytes
    _, result = decode(DecoderState(), bytes(frames), 8)
    assert result.crc_errors == 1
    assert result.garbage_bytes == 24
    (run,) = result.items
    assert isinstance(run, SampleRun)
    assert (run.first_seq, len(run.counts)) == (1, 11)


@pytest.mark.parametrize("bad_row", [0, 1, 7, 8, 200, 255, 256, 299])
def test_a_bad_crc_anywhere_in_a_block_costs_exactly_that_frame(bad_row: int) -> None:
    counts = counts_block(300)
    frames = bytearray(encode_samples_block(0, counts))
    frames[bad_row * 24 + 10] ^= 0x40
    _, result = decode(DecoderState(), bytes(frames), 8)
    assert (result.frames, result.crc_errors) == (299, 1)
    kept = np.delete(counts, bad_row, axis=0)
    np.testing.assert_array_equal(np.concatenate([r.counts for r in runs_of(result.items)]), kept)
    spans = [(0, bad_row), (bad_row + 1, 300 - bad_row - 1)]
    expected = [(first, n) for first, n in spans if n > 0]
    assert [(r.first_seq, len(r.counts)) for r in runs_of(result.items)] == expected


def test_an_incomplete_frame_waits_in_pending() -> None:
    frames = encode_samples_block(0, counts_block(3))
    state, result = decode(DecoderState(), frames[:40], 8)
    assert result.frames == 1
    assert state.pending == frames[24:40]
    state, result = decode(state, frames[40:], 8)
    assert result.frames == 2
    assert state.pending == b""


def test_a_trailing_first_sync_byte_is_kept_and_other_garbage_is_not() -> None:
    state, result = decode(DecoderState(), b"\x01\x02\xa5", 8)
    assert (state.pending, result.garbage_bytes) == (b"\xa5", 2)
    state, result = decode(state, b"\x03", 8)
    assert (state.pending, result.garbage_bytes) == (b"", 2)


def test_feeding_one_byte_at_a_time_gives_the_same_frames() -> None:
    status = encode_frame(FrameType.STATUS, 1, status_payload(STATUS))
    data = b"\xa5" + encode_samples_block(9, counts_block(10)) + status + b"zz"
    state = DecoderState()
    rows: list[SampleRun] = []
    frames: list[Frame] = []
    garbage = 0
    for byte in data:
        state, result = decode(state, bytes([byte]), 8)
        garbage += result.garbage_bytes
        for item in result.items:
            if isinstance(item, SampleRun):
                rows.append(item)
            else:
                frames.append(item)
    assert len(rows) == 10 and rows[0].first_seq == 9
    assert frames == [Frame(FrameType.STATUS, 1, status_payload(STATUS))]
    assert garbage == 3 and state.pending == b""


@pytest.mark.parametrize(
    "frame",
    [
        encode_samples_block(0, counts_block(1, channels=4)),
        encode_frame(0x10, 0, b"\x01"),
        encode_frame(0x7F, 0, b""),
        encode_frame(FrameType.STATUS, 0, bytes(15)),
        encode_frame(FrameType.MARKER, 0, bytes(8)),
        encode_frame(FrameType.ACK, 0, bytes(3)),
        encode_frame(FrameType.IDENTITY, 0, identity_payload(IDENTITY)[:-3]),
        encode_frame(FrameType.IDENTITY, 0, b""),
        encode_frame(Command.SET_RATE, 0, b"\x01"),
        encode_frame(Command.PING, 0, b"\x00"),
    ],
)
def test_crc_valid_frames_with_the_wrong_payload_are_malformed(frame: bytes) -> None:
    state, result = decode(DecoderState(), frame + encode_samples_block(5, counts_block(1)), 8)
    assert (result.frames, result.malformed, result.garbage_bytes) == (1, 1, 0)
    assert [type(item) for item in result.items] == [SampleRun]
    assert state.pending == b""


def test_host_commands_decode_as_frames() -> None:
    data = encode_command(Command.SET_RATE, 4, 1000) + encode_command(Command.HELLO, 5)
    _, result = decode(DecoderState(), data, 8)
    assert result.items == [
        Frame(Command.SET_RATE, 4, (1000).to_bytes(2, "little")),
        Frame(Command.HELLO, 5, b""),
    ]


def test_decode_accepts_bytearray_and_memoryview() -> None:
    frames = encode_samples_block(0, counts_block(10))
    for data in (bytearray(frames), memoryview(frames)):
        _, result = decode(DecoderState(), data, 8)  # type: ignore[arg-type]
        assert result.frames == 10


@pytest.mark.parametrize("channels", [0, 17, -1])
def test_channel_counts_outside_the_protocol_are_refused(channels: int) -> None:
    with pytest.raises(ValueError, match="channels"):
        decode(DecoderState(), b"", channels)


def test_parse_frame_dispatches_on_type() -> None:
    marker = MarkerEcho(5, 0x0101, 0)
    ack = Ack(Command.START, 2, AckResult.OK)
    assert parse_frame(Frame(FrameType.STATUS, 0, status_payload(STATUS))) == STATUS
    assert parse_frame(Frame(FrameType.MARKER, 0, marker_payload(marker))) == marker
    assert parse_frame(Frame(FrameType.ACK, 0, ack_payload(ack))) == ack
    assert parse_frame(Frame(FrameType.IDENTITY, 0, identity_payload(IDENTITY))) == IDENTITY


@pytest.mark.parametrize(
    "frame",
    [
        Frame(0x10, 0, b"\x00"),
        Frame(FrameType.SAMPLES, 0, bytes(16)),
        Frame(Command.PING, 0, b""),
        Frame(FrameType.STATUS, 0, bytes(3)),
        Frame(FrameType.IDENTITY, 0, bytes(2)),
    ],
)
def test_parse_frame_gives_none_for_other_types_and_bad_payloads(frame: Frame) -> None:
    assert parse_frame(frame) is None


def run(first_seq: int, n: int) -> SampleRun:
    """A run of n sample sets starting at first_seq."""
    return SampleRun(first_seq % 65536, counts_block(n, channels=2))


def test_the_first_run_sits_at_its_seq_and_counts_what_came_before_as_lost() -> None:
    state, indexed = index_run(TrackerState(), run(3, 10), 0.0, RATE_HZ)
    assert indexed is not None
    assert (indexed.first_index, indexed.lost_before, indexed.stop_index) == (3, 3, 13)
    assert (state.next_index, state.last_receive_time_s) == (13, 0.0)
    assert state.offset_s == -0.013  # receive time minus the board time of index 13


def test_contiguous_runs_and_gaps_across_the_wrap() -> None:
    state, _ = index_run(TrackerState(), run(0, 65530), 65.53, RATE_HZ)
    state, indexed = index_run(state, run(65530, 6), 65.536, RATE_HZ)
    assert indexed is not None and (indexed.first_index, indexed.lost_before) == (65530, 0)
    state, indexed = index_run(state, run(65536 + 4, 2), 65.542, RATE_HZ)
    assert indexed is not None and (indexed.first_index, indexed.lost_before) == (65540, 4)
    assert state.next_index == 65542


def test_a_duplicate_or_stale_run_is_discarded_without_changing_the_state() -> None:
    state, _ = index_run(TrackerState(), run(0, 100), 0.1, RATE_HZ)
    for stale in (run(99, 1), run(50, 10), run(100 - 32000, 5)):
        new_state, indexed = index_run(state, stale, 0.2, RATE_HZ)
        assert indexed is None
        assert new_state == state


def test_an_empty_run_is_discarded() -> None:
    state = TrackerState(next_index=5, last_receive_time_s=1.0)
    assert index_run(state, SampleRun(5, np.zeros((0, 2), np.uint16)), 2.0, RATE_HZ) == (
        state,
        None,
    )


def test_jumps_below_half_the_range_the_host_clock_explains_are_gaps() -> None:
    state, _ = index_run(TrackerState(), run(0, 10), 0.010, RATE_HZ)
    state, indexed = index_run(state, run(10 + 32767, 1), 32.8, RATE_HZ)
    assert indexed is not None and indexed.lost_before == 32767 and not indexed.resynced
    _, indexed = index_run(state, run(state.next_index + 32768, 1), 32.8, RATE_HZ)  # type: ignore[operator]
    assert indexed is None


def test_a_jump_the_host_clock_cannot_explain_is_a_resync_not_a_loss() -> None:
    state, _ = index_run(TrackerState(), run(0, 10), 0.010, RATE_HZ)
    state, indexed = index_run(state, run(10 + 30000, 5), 0.050, RATE_HZ)
    assert indexed is not None and indexed.resynced
    assert indexed.lost_before == 35  # by host time: 40 ms after the first run ended, 5 in it
    assert state.next_index == 50
    _, indexed = index_run(state, run(50, 5), 0.055, RATE_HZ)
    assert indexed is not None and (indexed.first_index, indexed.lost_before) == (50, 0)


def test_the_first_run_is_checked_against_the_time_start_was_sent() -> None:
    started = TrackerState(offset_s=100.0)
    _, indexed = index_run(started, run(60000, 1), 100.2, RATE_HZ)
    assert indexed is not None and indexed.resynced and indexed.first_index == 199


@pytest.mark.parametrize("gap", [32768, 50000, 65536, 65536 + 10, 3 * 65536 + 123, 300_000])
def test_gaps_of_half_a_wrap_or_more_are_resolved_by_the_receive_clock(gap: int) -> None:
    state, _ = index_run(TrackerState(), run(0, 10), 0.010, RATE_HZ)
    first = 10 + gap
    state, indexed = index_run(state, run(first, 5), (first + 5) / RATE_HZ + 0.3, RATE_HZ)
    assert indexed is not None
    assert (indexed.first_index, indexed.lost_before) == (first, gap)


def test_a_host_stall_shorter_than_half_a_wrap_keeps_late_data_contiguous() -> None:
    state, _ = index_run(TrackerState(), run(0, 10), 0.010, RATE_HZ)
    _, indexed = index_run(state, run(10, 5), 30.0, RATE_HZ)
    assert indexed is not None and indexed.lost_before == 0


def test_a_bad_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="sample_rate_hz"):
        index_run(TrackerState(), run(0, 1), 0.0, 0)


def test_sample_time_is_index_over_rate() -> None:
    assert sample_time_s(0, 1000) == 0.0
    assert sample_time_s(1500, 1000) == 1.5
    assert sample_time_s(70000, 250) == 280.0


def test_a_steady_stream_keeps_its_vectorised_window_which_never_changes_the_result() -> None:
    counts = np.arange(8 * 6000, dtype=np.uint16).reshape(6000, 8) % 1024
    data = encode_samples_block(0, counts)
    frame_bytes = len(data) // 6000
    state = codec.DecoderState()
    assert state.window == codec.FAST_PATH_START_FRAMES
    for start in range(0, 3000 * frame_bytes, 1000 * frame_bytes):
        state, _ = codec.decode(state, data[start : start + 1000 * frame_bytes], 8)
    assert state.window >= 1000  # the next 64 KiB-sized read is one vectorised block
    corrupt = bytearray(data[3000 * frame_bytes :])
    corrupt[10 * frame_bytes + 7] ^= 0xFF
    state, result = codec.decode(state, bytes(corrupt), 8)
    runs = [run for run in result.items if isinstance(run, codec.SampleRun)]
    assert result.crc_errors == 1 and sum(run.counts.shape[0] for run in runs) == 2999
    _, fresh = codec.decode(codec.DecoderState(), bytes(corrupt), 8)  # the window sizes work only
    fresh_runs = [run for run in fresh.items if isinstance(run, codec.SampleRun)]
    assert [run.first_seq for run in fresh_runs] == [run.first_seq for run in runs]
    np.testing.assert_array_equal(
        np.concatenate([run.counts for run in fresh_runs]),
        np.concatenate([run.counts for run in runs]),
    )
