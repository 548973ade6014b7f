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


def merge_blocks(blocks: list[SampleBlock]) -> list[SampleBlock]:
    """Contiguous sample blocks joined, so the filters run on a few large arrays."""
    merged = merge_chunks([(block.first_index, block.counts) for block in blocks])
    last_time_s = blocks[-1].receive_time_s if blocks else 0.0
    return [SampleBlock(first, counts, last_time_s) for first, counts in merged]


def merge_chunks(
    chunks: list[tuple[int, np.ndarray]],
) -> list[tuple[int, np.ndarray]]:
    """Join contiguous blocks into as few chunks as possible (one BLOB per continuous run)."""
    merged: list[tuple[int, list[np.ndarray], int]] = []
    for first, counts in chunks:
        if merged and merged[-1][2] == first:
            start, parts, _ = merged[-1]
            parts.append(counts)
            merged[-1] = (start, parts, first + counts.shape[0])
        else:
            merged.append((first, [counts], first + counts.shape[0]))
    return [(start, _joined(parts)) for start, parts, _ in merged]


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """Blocks stacked in time, keeping the mask of missing values when a block has one."""
    if len(parts) == 1:
        return parts[0]
    if any(isinstance(part, np.ma.MaskedArray) for part in parts):
        return np.ma.concatenate(parts)
    return np.concatenate(parts)
