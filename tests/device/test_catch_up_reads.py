"""A stream that is ahead of the host is read in large pieces, not in a pty's 4 KiB sips."""

from __future__ import annotations

import os
import threading
import tty

import pytest

from microexp_tui.device.transport import (
    BACKLOG_BYTES,
    BACKLOG_READ_BYTES,
    open_serial,
    read_serial,
    read_size,
    read_waiting,
)
from microexp_tui.errors import DeviceError


def test_the_read_size_grows_to_a_catch_up_read_only_with_a_backlog() -> None:
    assert read_size(0, 480) == 480
    assert read_size(BACKLOG_BYTES - 1, 480) == BACKLOG_BYTES - 1
    assert read_size(BACKLOG_BYTES, 480) == BACKLOG_READ_BYTES
    assert read_size(BACKLOG_BYTES, 2 * BACKLOG_READ_BYTES) == 2 * BACKLOG_READ_BYTES


def test_a_backlog_on_a_pty_is_read_in_one_call_beyond_the_line_disciplines_4_kib() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = open_serial(os.ttyname(slave), read_timeout_s=10.0)  # generous: not a timing test
    stream = bytes(range(256)) * (2 * BACKLOG_READ_BYTES // 256)
    writer = threading.Thread(target=os.write, args=(master, stream), daemon=True)
    try:
        small = bytes(range(100))
        os.write(master, small)
        while port.in_waiting < len(small):
            pass
        assert read_serial(port, "pty", 1) == small  # only what waits: no wait for more
        writer.start()
        while port.in_waiting < BACKLOG_BYTES:
            pass
        assert read_serial(port, "pty", 1) == stream[:BACKLOG_READ_BYTES]
        rest = b""
        while len(rest) < len(stream) - BACKLOG_READ_BYTES:
            rest += read_serial(port, "pty", 1)
        assert rest == stream[BACKLOG_READ_BYTES:]
    finally:
        port.close()
        writer.join()
        os.close(slave)
        os.close(master)


def test_a_paced_read_takes_what_waits_and_returns_empty_rather_than_waiting() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = open_serial(os.ttyname(slave), read_timeout_s=3600.0)  # a wait would hang the test
    try:
        assert read_waiting(port, "pty") == b""
        small = bytes(range(100))
        os.write(master, small)
        while port.in_waiting < len(small):
            pass
        assert read_waiting(port, "pty") == small
        assert read_waiting(port, "pty") == b""
    finally:
        port.close()
        os.close(slave)
        os.close(master)


def test_a_waiting_read_catches_up_on_a_backlog_beyond_the_line_disciplines_4_kib() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = open_serial(os.ttyname(slave), read_timeout_s=10.0)  # generous: not a timing test
    stream = (bytes(range(256)) * (BACKLOG_READ_BYTES // 256 + 4))[: BACKLOG_READ_BYTES + 1000]
    writer = threading.Thread(target=os.write, args=(master, stream), daemon=True)
    try:
        writer.start()
        while port.in_waiting < BACKLOG_BYTES:
            pass
        assert read_waiting(port, "pty") == stream[:BACKLOG_READ_BYTES]  # exactly one piece
        rest = b""
        while len(rest) < len(stream) - BACKLOG_READ_BYTES:
            rest += read_waiting(port, "pty")
        assert rest == stream[BACKLOG_READ_BYTES:]
    finally:
        port.close()
        writer.join()
        os.close(slave)
        os.close(master)


def test_a_waiting_read_of_a_board_that_is_gone_says_so() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = open_serial(os.ttyname(slave), read_timeout_s=3600.0)
    os.close(master)
    try:
        with pytest.raises(DeviceError, match="Lost the board on pty"):
            read_waiting(port, "pty")
    finally:
        port.close()
        os.close(slave)
