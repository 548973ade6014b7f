"""Fast mode generates ahead only while the host is busy, in short blocks, up to a high water."""

import io

from microexp_tui.simulator.board import BoardConfig, OutChunk, SimulatedBoard
from microexp_tui.simulator.pty_server import (
    FAST_AHEAD_SAMPLES,
    FAST_HIGH_WATER_BYTES,
    FAST_LOW_WATER_BYTES,
    ServeOptions,
    Server,
)


def _server_with_queued(pending_bytes: int, pty_full: bool) -> Server:
    """A fast-mode server (no pty opened) with this much queued for the host."""
    server = Server(SimulatedBoard(BoardConfig()), ServeOptions(fast=True), io.StringIO(), bool)
    if pending_bytes:
        server.tx.push([OutChunk(bytes(pending_bytes), 1, droppable=False)])
    server._pty_full = pty_full
    return server


def test_fast_mode_generates_a_block_below_the_low_water() -> None:
    """Little queued: a whole block, whether or not the host is reading."""
    for full in (False, True):
        server = _server_with_queued(FAST_LOW_WATER_BYTES - 1, full)
        assert server._fast_block_samples() == ServeOptions().fast_block_samples


def test_fast_mode_generates_ahead_only_while_the_pty_is_full() -> None:
    """Above the low water: a short block while the host is busy, nothing while it reads."""
    assert _server_with_queued(FAST_LOW_WATER_BYTES, True)._fast_block_samples() == (
        FAST_AHEAD_SAMPLES
    )
    assert _server_with_queued(FAST_LOW_WATER_BYTES, False)._fast_block_samples() == 0
    full_up = _server_with_queued(FAST_HIGH_WATER_BYTES, True)
    assert full_up._fast_block_samples() == 0
