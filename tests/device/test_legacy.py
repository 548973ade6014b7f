"""The legacy reader parses the article sketch's `millis,v1..v8` lines and skips anything else."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.device.legacy import (
    LEGACY_BAUD,
    MAX_LINE_BYTES,
    LegacyResult,
    LegacyState,
    decode_legacy,
    detect_channels,
)


def decode_all(chunks: list[bytes], channels: int = 8) -> tuple[LegacyState, LegacyResult]:
    """Decode chunks in order and concatenate the results."""
    state = LegacyState()
    millis, counts, bad = [], [], 0
    for chunk in chunks:
        state, result = decode_legacy(state, chunk, channels)
        millis.append(result.millis)
        counts.append(result.counts)
        bad += result.bad_lines
    return state, LegacyResult(np.concatenate(millis), np.concatenate(counts), bad)


def test_the_sketch_runs_at_9600_baud() -> None:
    assert LEGACY_BAUD == 9600


def test_good_lines_with_crlf_or_lf() -> None:
    data = b"100,1,2,3,4,5,6,7,8\r\n150,0,0,0,0,0,0,0,1023\n200,9,9,9,9,9,9,9,9\r\n"
    state, result = decode_legacy(LegacyState(), data)
    assert result.millis.dtype == np.int64
    assert result.counts.dtype == np.uint16
    np.testing.assert_array_equal(result.millis, [100, 150, 200])
    np.testing.assert_array_equal(result.counts[1], [0, 0, 0, 0, 0, 0, 0, 1023])
    assert result.counts.shape == (3, 8)
    assert (result.bad_lines, state.pending, state.lines) == (0, b"", 3)


@pytest.mark.parametrize(
    "line",
    [
        b"100,1,2,3,4,5,6,7",  # too few fields
        b"100,1,2,3,4,5,6,7,8,9",  # too many
        b"100,1,2,3,4,5,6,7,x",  # not an integer
        b"100,1,2,3,4,5,6,7,-8",  # negative
        b"-100,1,2,3,4,5,6,7,8",
        b"100,1,2,3,4,5,6,7,1024",  # beyond 10 bits
        b"4294967296,1,2,3,4,5,6,7,8",  # beyond u32 millis
        b"100,1,2,3,4,5,6,7,8.5",
        b"100,1,2,3,4,5,6,7,1_0",
        b"100,,2,3,4,5,6,7,8",
        b"millis,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8",  # a header line
        b"",
        b"\xff\xfe100,1,2,3,4,5,6,7,8",
        "100,1,2,3,4,5,6,7,\u0668".encode(),  # a non-ASCII digit
    ],
)
def test_a_bad_line_is_counted_and_skipped(line: bytes) -> None:
    data = b"10,1,1,1,1,1,1,1,1\r\n" + line + b"\r\n20,2,2,2,2,2,2,2,2\r\n"
    state, result = decode_legacy(LegacyState(), data)
    np.testing.assert_array_equal(result.millis, [10, 20])
    assert (result.bad_lines, state.lines) == (1, 2)


def test_spaces_around_fields_are_tolerated() -> None:
    _, result = decode_legacy(LegacyState(), b" 5, 1,2 ,3,4,5,6,7,\t8 \r\n")
    np.testing.assert_array_equal(result.counts, [[1, 2, 3, 4, 5, 6, 7, 8]])


def test_a_partial_line_waits_for_its_newline() -> None:
    state, result = decode_legacy(LegacyState(), b"5,1,2,3,4,5,6,7,8\r\n6,1,2,")
    assert (len(result.millis), state.pending) == (1, b"6,1,2,")
    state, result = decode_legacy(state, b"3,4,5,6,7,8\r\n")
    np.testing.assert_array_equal(result.millis, [6])
    assert (state.pending, state.lines) == (b"", 2)


def test_overlong_garbage_without_newline_is_one_bad_line_and_bounded() -> None:
    state = LegacyState()
    bad = 0
    for _ in range(20):
        state, result = decode_legacy(state, b"\x00garbage" * 40)
        bad += result.bad_lines
        assert len(state.pending) <= MAX_LINE_BYTES
    state, result = decode_legacy(state, b"tail of it\r\n7,1,2,3,4,5,6,7,8\r\n")
    bad += result.bad_lines
    np.testing.assert_array_equal(result.millis, [7])
    assert bad == 1


def test_other_channel_counts() -> None:
    _, result = decode_legacy(LegacyState(), b"1,10,20,30,40\n2,1,2,3\n", channels=4)
    np.testing.assert_array_equal(result.counts, [[10, 20, 30, 40]])
    assert result.bad_lines == 1


def test_an_empty_call_gives_empty_arrays_of_the_right_shape() -> None:
    _, result = decode_legacy(LegacyState(), b"", channels=3)
    assert result.millis.shape == (0,) and result.counts.shape == (0, 3)
    assert result.counts.dtype == np.uint16


@pytest.mark.parametrize("channels", [0, 17])
def test_channel_counts_outside_the_protocol_are_refused(channels: int) -> None:
    with pytest.raises(ValueError, match="channels"):
        decode_legacy(LegacyState(), b"", channels)


good_line = st.builds(
    lambda millis, counts, crlf: (
        ",".join(map(str, [millis, *counts])).encode() + (b"\r\n" if crlf else b"\n")
    ),
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(0, 1023), min_size=8, max_size=8),
    st.booleans(),
)
bad_line = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n"),
    st.binary(min_size=MAX_LINE_BYTES - 5, max_size=MAX_LINE_BYTES + 40).map(
        lambda b: b.replace(b"\n", b"x") + b"\n"
    ),
    st.just(b"1,2,3\r\n"),
    st.just(b"1,2,3,4,5,6,7,8,2000\r\n"),
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.tuples(st.booleans(), good_line, bad_line), max_size=25),
    tail=st.binary(max_size=300),
    cuts=st.lists(st.integers(0, 20_000), max_size=10),
)
def test_chunking_does_not_change_the_output_and_good_lines_survive(
    lines: list[tuple[bool, bytes, bytes]], tail: bytes, cuts: list[int]
) -> None:
    stream = b"".join(good if keep else bad for keep, good, bad in lines) + tail
    whole_state, whole = decode_all([stream])
    bounds = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    state, chunked = decode_all(chunks)
    np.testing.assert_array_equal(chunked.millis, whole.millis)
    np.testing.assert_array_equal(chunked.counts, whole.counts)
    assert chunked.bad_lines == whole.bad_lines
    assert state == whole_state
    goods = [good for keep, good, _ in lines if keep]
    expected_millis = [int(good.split(b",")[0]) for good in goods]
    assert whole.millis[: len(goods)].tolist() == expected_millis
    assert len(state.pending) <= MAX_LINE_BYTES


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=800), channels=st.integers(1, 16))
def test_arbitrary_bytes_never_raise(data: bytes, channels: int) -> None:
    state, result = decode_legacy(LegacyState(), data, channels)
    assert result.counts.shape == (result.millis.shape[0], channels)
    assert len(state.pending) <= MAX_LINE_BYTES
    assert result.bad_lines <= data.count(b"\n") + 1


@pytest.mark.parametrize("channels", [1, 4, 8, 16])
def test_the_channel_count_is_learnt_from_the_lines(channels: int) -> None:
    line = ",".join(str(v) for v in range(channels + 1)).encode() + b"\r\n"
    data = b"partial,line\r\n" + line * 3 + b"1,2"
    assert detect_channels(data) == channels


def test_no_channel_count_without_two_agreeing_lines() -> None:
    assert detect_channels(b"") is None
    assert detect_channels(b"1,2,3\r\n") is None
    assert detect_channels(b"garbage\r\n\xff\xfe\r\nmillis,ch1\r\n") is None
    assert detect_channels(b"1,2,3\r\n1,2,3,4\r\n1,2,3\r\n") == 2
