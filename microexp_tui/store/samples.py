"""Sample chunks: int16 little-endian BLOBs of shape (samples, channels), row-major.

One row per chunk (the writer's ~1 s batches), keyed by (session_id, first_sample).
Reading reassembles any range; indices never stored (lost in a sequence gap, or past
the end) read as `MISSING_COUNT`, and `SessionStore.gaps()` lists the losses.
"""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from microexp_tui.domain.recording import MISSING_COUNT
from microexp_tui.errors import InputError

_INT16_MIN = int(np.iinfo(np.int16).min)
_INT16_MAX = int(np.iinfo(np.int16).max)
WIRE_DTYPE = np.dtype("<i2")
"""On-disk sample type: little-endian int16."""


def to_wire(counts: np.ndarray, channel_count: int, first_sample: int) -> np.ndarray:
    """Validate a (samples, channels) integer array; return it as contiguous little-endian int16."""
    where = f"sample chunk starting at index {first_sample}"
    if not isinstance(counts, np.ndarray) or counts.ndim != 2:
        raise InputError(f"The {where} must be a 2-D numpy array (samples, channels).")
    if counts.shape[1] != channel_count or counts.shape[0] == 0:
        raise InputError(
            f"The {where} has shape {counts.shape}; expected (n >= 1, {channel_count}) "
            "to match the session's channel count."
        )
    if not np.issubdtype(counts.dtype, np.integer):
        raise InputError(f"The {where} has dtype {counts.dtype}; ADC counts must be integers.")
    if counts.dtype.itemsize > 2 or counts.dtype == np.uint16:
        low, high = int(counts.min()), int(counts.max())
        if low < _INT16_MIN or high > _INT16_MAX:
            raise InputError(
                f"The {where} holds values {low}..{high}, outside int16; "
                "the store keeps raw ADC counts only."
            )
    return np.ascontiguousarray(counts, dtype=WIRE_DTYPE)


def encode_chunk(counts: np.ndarray, channel_count: int, first_sample: int) -> bytes:
    """Validate a (samples, channels) integer array and return its BLOB bytes."""
    return to_wire(counts, channel_count, first_sample).tobytes()


def decode_chunk(blob: bytes, n_samples: int, channel_count: int) -> np.ndarray:
    """Turn a stored BLOB back into a read-only (samples, channels) int16 array."""
    return np.frombuffer(blob, dtype=WIRE_DTYPE).reshape(n_samples, channel_count)


def read_range(
    db: Database, session_id: int, channel_count: int, start_index: int, stop_index: int
) -> np.ndarray:
    """Samples [start_index, stop_index) of a session, (samples, channels) int16, holes filled."""
    out = np.full((stop_index - start_index, channel_count), MISSING_COUNT, dtype=np.int16)
    if stop_index <= start_index:
        return out
    # The chunk containing start_index begins at or before it: start from the last such one.
    cursor = db.execute(
        "SELECT first_sample, n_samples, channel_count, data FROM sample_chunks "
        "WHERE session_id = :sid AND first_sample < :stop AND first_sample >= COALESCE("
        "(SELECT MAX(first_sample) FROM sample_chunks "
        "WHERE session_id = :sid AND first_sample <= :start), 0) "
        "ORDER BY first_sample",
        {"sid": session_id, "start": start_index, "stop": stop_index},
    )
    for first, n_samples, stored_channels, blob in cursor:
        chunk = decode_chunk(blob, n_samples, stored_channels)
        lo = max(start_index, first)
        hi = min(stop_index, first + n_samples)
        if hi > lo:
            out[lo - start_index : hi - start_index] = chunk[lo - first : hi - first]
    return out


def check_read_range(
    session_id: int, start_index: int, stop_index: int | None, samples_per_channel: int
) -> tuple[int, int]:
    """Validate a requested range and clip its end to the stored extent."""
    stop = samples_per_channel if stop_index is None else min(stop_index, samples_per_channel)
    if start_index < 0 or (stop_index is not None and stop_index < start_index):
        raise InputError(
            f"Cannot read samples [{start_index}, {stop_index}) of session {session_id}: "
            "the range must satisfy 0 <= start_index <= stop_index."
        )
    return start_index, max(stop, start_index)
