"""Sample chunks: little-endian BLOBs of shape (samples, channels), row-major, with a mask.

One row per chunk (the writer's ~1 s batches), keyed by (session_id, first_sample). The
values are in the session's sample format (int16 board counts, int32, float32); `missing`
is NULL when every value is present, else one bit per value (row-major, least significant
bit first) set where the value is missing. Reading reassembles any range as a
`StoredSamples`: indices never stored (lost in a sequence gap, or past the end) and values
marked missing are flagged in its mask, so no value is reserved to mean "missing".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import numpy as np

from microexp_tui.domain.recording import StoredSamples
from microexp_tui.errors import InputError

if TYPE_CHECKING:
    from sqlite_utils import Database

WIRE_DTYPES: dict[str, np.dtype] = {
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "float32": np.dtype("<f4"),
}
"""On-disk value type of each sample format: little-endian."""

MASK_BIT_ORDER: Literal["little"] = "little"
"""Bit order of the packed `missing` masks (value k is bit k % 8 of byte k // 8)."""


def _check_shape(values: np.ndarray, channel_count: int, where: str) -> None:
    """InputError unless `values` is a non-empty (samples, channel_count) array."""
    if not isinstance(values, np.ndarray) or values.ndim != 2:
        raise InputError(f"The {where} must be a 2-D numpy array (samples, channels).")
    if values.shape[1] != channel_count or values.shape[0] == 0:
        raise InputError(
            f"The {where} has shape {values.shape}; expected (n >= 1, {channel_count}) "
            "to match the session's channel count."
        )


def _check_values(values: np.ndarray, missing: np.ndarray, wire: np.dtype, where: str) -> None:
    """InputError for present values the sample format cannot hold (missing ones are ignored)."""
    present = values[~missing] if missing.any() else values
    if wire.kind == "f":
        if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values):
            raise InputError(f"The {where} has dtype {values.dtype}; use real numbers.")
        if present.size and not np.isfinite(present.astype(wire)).all():
            raise InputError(
                f"The {where} holds NaN, infinite or out-of-range values; mark values that "
                "do not exist in the chunk's missing mask instead."
            )
        return
    if not np.issubdtype(values.dtype, np.integer):
        raise InputError(
            f"The {where} has dtype {values.dtype}; this session stores integers ({wire.name})."
        )
    if np.can_cast(values.dtype, wire, casting="safe") or not present.size:
        return
    info = np.iinfo(wire)
    low, high = int(present.min()), int(present.max())
    if low < info.min or high > info.max:
        raise InputError(
            f"The {where} holds values {low}..{high}, outside {wire.name}; the session was "
            "started with that sample format."
        )


def to_wire(
    values: np.ndarray, channel_count: int, first_sample: int, sample_format: str
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a chunk; return its contiguous on-disk values (0 where missing) and its mask.

    A masked array's mask marks the values that do not exist; a plain array has none.
    """
    where = f"sample chunk starting at index {first_sample}"
    _check_shape(values, channel_count, where)
    mask = np.ma.getmaskarray(values)
    data = np.ma.getdata(values)
    wire = WIRE_DTYPES[sample_format]
    _check_values(data, mask, wire, where)
    if mask.any():
        data = np.where(mask, 0, data)
    return np.ascontiguousarray(data, dtype=wire), mask


def encode_mask(missing: np.ndarray) -> bytes | None:
    """A chunk's mask as packed bits, or None when every value is present."""
    if not missing.any():
        return None
    return np.packbits(missing.ravel(), bitorder=MASK_BIT_ORDER).tobytes()


def decode_chunk(
    blob: bytes, mask: bytes | None, n_samples: int, channel_count: int, sample_format: str
) -> tuple[np.ndarray, np.ndarray]:
    """A stored chunk as read-only (samples, channels) values and its bool mask."""
    shape = (n_samples, channel_count)
    values = np.frombuffer(blob, dtype=WIRE_DTYPES[sample_format]).reshape(shape)
    if mask is None:
        return values, np.zeros(shape, dtype=bool)
    bits = np.unpackbits(np.frombuffer(mask, np.uint8), count=values.size, bitorder=MASK_BIT_ORDER)
    return values, bits.astype(bool).reshape(shape)


def read_range(
    db: Database,
    session_id: int,
    channel_count: int,
    sample_format: str,
    start_index: int,
    stop_index: int,
) -> StoredSamples:
    """Samples [start_index, stop_index) of a session; what was never stored is masked."""
    n = max(0, stop_index - start_index)
    values = np.zeros((n, channel_count), dtype=WIRE_DTYPES[sample_format].newbyteorder("="))
    missing = np.ones((n, channel_count), dtype=bool)
    if n == 0:
        return StoredSamples(start_index, values, missing)
    # The chunk containing start_index begins at or before it: start from the last such one.
    cursor = db.execute(
        "SELECT first_sample, n_samples, channel_count, data, missing FROM sample_chunks "
        "WHERE session_id = :sid AND first_sample < :stop AND first_sample >= COALESCE("
        "(SELECT MAX(first_sample) FROM sample_chunks "
        "WHERE session_id = :sid AND first_sample <= :start), 0) "
        "ORDER BY first_sample",
        {"sid": session_id, "start": start_index, "stop": stop_index},
    )
    for first, n_samples, stored_channels, blob, mask in cursor:
        chunk, chunk_missing = decode_chunk(blob, mask, n_samples, stored_channels, sample_format)
        lo = max(start_index, first)
        hi = min(stop_index, first + n_samples)
        if hi > lo:
            values[lo - start_index : hi - start_index] = chunk[lo - first : hi - first]
            missing[lo - start_index : hi - start_index] = chunk_missing[lo - first : hi - first]
    return StoredSamples(start_index, values, missing)


def complete_runs(
    first_index: int, values: np.ndarray, missing: np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """`(first_index, values)` of each run of rows whose every value is present."""
    complete = ~missing.any(axis=1)
    if complete.all():
        yield first_index, values
        return
    edges = np.flatnonzero(np.diff(np.concatenate(([False], complete, [False])).astype(np.int8)))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        yield first_index + int(start), values[start:stop]


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
