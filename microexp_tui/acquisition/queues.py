"""Queue plumbing between the recorder's threads: stop sentinel, draining, block merging."""

from __future__ import annotations

import queue
import threading
from typing import Any

import numpy as np

from microexp_tui.device.stream import SampleBlock

DRAIN_ITEMS = 256
STOP = object()
"""Sentinel that tells a consumer thread to flush and return."""


def send_stop(target: queue.Queue[Any], thread: threading.Thread) -> None:
    """Deliver the stop sentinel to a consumer thread and wait for it, even if its queue is full."""
    while thread.is_alive():
        try:
            target.put(STOP, timeout=0.1)
            break
        except queue.Full:
            continue
    thread.join()


def drain(source: queue.Queue[Any]) -> list[Any]:
    """The next item (waiting for it) and whatever else is already queued, up to DRAIN_ITEMS."""
    items = [source.get()]
    while items[-1] is not STOP and len(items) < DRAIN_ITEMS:
        try:
            items.append(source.get_nowait())
        except queue.Empty:
            break
    return items


def take_waiting(source: queue.Queue[Any]) -> list[Any]:
    """Whatever is already queued, up to DRAIN_ITEMS, without waiting (maybe nothing)."""
    items: list[Any] = []
    while len(items) < DRAIN_ITEMS:
        try:
            items.append(source.get_nowait())
        except queue.Empty:
            break
    return items


def merge_blocks(blocks: list[SampleBlock]) -> list[SampleBlock]:
    """Contiguous sample blocks joined, so the filters run on a few large arrays."""
    merged = merge_chunks([(block.first_index, block.counts) for block in blocks])
    last_time_s = blocks[-1].receive_time_s if blocks else 0.0
    return [SampleBlock(first, counts, last_time_s) for first, counts in merged]


def merge_chunks(
    chunks: list[tuple[int, np.ndarray]], max_samples: int | None = None
) -> list[tuple[int, np.ndarray]]:
    """Join contiguous blocks into as few chunks as possible (one BLOB per continuous run),
    each run cut into chunks of at most `max_samples` sample sets when given."""
    merged: list[tuple[int, list[np.ndarray], int]] = []
    for first, counts in chunks:
        if merged and merged[-1][2] == first:
            start, parts, _ = merged[-1]
            parts.append(counts)
            merged[-1] = (start, parts, first + counts.shape[0])
        else:
            merged.append((first, [counts], first + counts.shape[0]))
    joined = [(start, _joined(parts)) for start, parts, _ in merged]
    if max_samples is None:
        return joined
    return [piece for first, counts in joined for piece in _cut(first, counts, max_samples)]


def _cut(first: int, counts: np.ndarray, max_samples: int) -> list[tuple[int, np.ndarray]]:
    """A run as consecutive chunks of at most `max_samples` sample sets (the last may be short)."""
    if counts.shape[0] <= max_samples:
        return [(first, counts)]
    return [
        (first + start, counts[start : start + max_samples])
        for start in range(0, counts.shape[0], max_samples)
    ]


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """Blocks stacked in time, keeping the mask of missing values when a block has one."""
    if len(parts) == 1:
        return parts[0]
    if any(isinstance(part, np.ma.MaskedArray) for part in parts):
        return np.ma.concatenate(parts)
    return np.concatenate(parts)
