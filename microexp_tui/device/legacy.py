"""Pure reader of the seed article's sketch output: text lines `millis,v1,...,v8`.

The sketch prints one line per sample set (CRLF or LF) at 9600 baud with no checksum
and no sequence number, so the only integrity check possible is that a line parses:
exactly 1 + channels non-negative decimal integers separated by commas (spaces or tabs
around a field are tolerated), millis at most 2**32 - 1 (the Arduino's u32 counter) and
every count at most 1023 (the Mega's 10-bit ADC). Any other line, including an empty
one, counts as a bad line and is skipped. A line longer than `MAX_LINE_BYTES` (before its
LF) is bad; once a partial line grows past that it is counted and dropped up to its LF,
so garbage without line breaks cannot grow the pending buffer. Results do not depend on
how the bytes are split between calls.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from microexp_tui.device.protocol import MAX_CHANNELS

LEGACY_BAUD = 9600
LEGACY_MAX_COUNT = 1023
"""The Mega's ADC is 10-bit."""
LEGACY_MAX_MILLIS = 0xFFFF_FFFF
"""Arduino `millis()` is an unsigned 32-bit counter."""
MAX_LINE_BYTES = 256
"""A partial line longer than this without a newline is garbage."""


@dataclass(frozen=True)
class LegacyState:
    """What `decode_legacy` carries between calls.

    `pending` is the partial last line; `lines` the number of good lines decoded so far
    (the sample index of the next good line); `skipping` is true while dropping the rest
    of an overlong line up to its newline.
    """

    pending: bytes = b""
    lines: int = 0
    skipping: bool = False


@dataclass
class LegacyResult:
    """Sample sets of the good lines of one call, and how many lines were bad."""

    millis: npt.NDArray[np.int64]
    counts: npt.NDArray[np.uint16]
    bad_lines: int = 0


@lru_cache(maxsize=MAX_CHANNELS)
def _line_pattern(channels: int) -> re.Pattern[bytes]:
    """Regex matching a good line of `channels` counts, one group per field."""
    field = rb"[ \t]*(\d{1,10})[ \t]*"
    return re.compile(field + (b"," + field) * channels)


def _parse_line(line: bytes, channels: int) -> list[int] | None:
    """The integers of a good line (millis first), or None when the line is bad."""
    match = _line_pattern(channels).fullmatch(line.rstrip(b"\r"))
    if match is None:
        return None
    values = [int(group) for group in match.groups()]
    if values[0] > LEGACY_MAX_MILLIS or max(values[1:]) > LEGACY_MAX_COUNT:
        return None
    return values


def _split_lines(state: LegacyState, data: bytes) -> tuple[list[bytes], bytes, bool, int]:
    """Complete lines, the new partial tail, the new skipping flag and overlong-line count."""
    buf = state.pending + data
    skipping = state.skipping
    if skipping:
        newline = buf.find(b"\n")
        if newline < 0:
            return [], b"", True, 0
        buf = buf[newline + 1 :]
        skipping = False
    *lines, tail = buf.split(b"\n")
    if len(tail) > MAX_LINE_BYTES:
        return lines, b"", True, 1
    return lines, tail, skipping, 0


def detect_channels(data: bytes, min_lines: int = 2) -> int | None:
    """The channel count most complete lines in `data` have, if `min_lines` of them agree.

    A sketch changed to read another number of sensors prints that many values; the host
    learns the count from its first lines instead of being told.
    """
    lines = bytes(data).split(b"\n")[:-1]
    tally = Counter(_field_count(line) for line in lines if len(line) <= MAX_LINE_BYTES)
    tally.pop(None, None)
    if not tally:
        return None
    fields, count = tally.most_common(1)[0]
    return fields - 1 if fields is not None and count >= min_lines else None


def _field_count(line: bytes) -> int | None:
    """How many fields a line of 2..1 + MAX_CHANNELS integers has, else None."""
    fields = line.rstrip(b"\r").split(b",")
    if not 2 <= len(fields) <= 1 + MAX_CHANNELS:
        return None
    return len(fields) if _line_pattern(len(fields) - 1).fullmatch(line.rstrip(b"\r")) else None


def decode_legacy(
    state: LegacyState, data: bytes, channels: int = 8
) -> tuple[LegacyState, LegacyResult]:
    """Decode the sketch's text lines after `state`; pure, never raises on any byte input.

    Raises ValueError only for a channel count outside 1..16.
    """
    if not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"channels must be 1..{MAX_CHANNELS}, not {channels}")
    lines, tail, skipping, bad_lines = _split_lines(state, bytes(data))
    rows: list[list[int]] = []
    for line in lines:
        values = _parse_line(line, channels) if len(line) <= MAX_LINE_BYTES else None
        if values is None:
            bad_lines += 1
        else:
            rows.append(values)
    table = np.array(rows, dtype=np.int64).reshape(len(rows), channels + 1)
    result = LegacyResult(
        millis=table[:, 0].copy(),
        counts=table[:, 1:].astype(np.uint16),
        bad_lines=bad_lines,
    )
    return LegacyState(tail, state.lines + len(rows), skipping), result
