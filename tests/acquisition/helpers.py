"""Test peers on real pseudo-terminals: scripted boards that are not the simulator."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def pty_peer(serve: Callable[[int, threading.Event], None]) -> Iterator[str]:
    """Open a pseudo-terminal, run `serve(master_fd, stop)` in a thread, yield the slave path."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    import tty

    tty.setraw(slave)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(master, stop), daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(2)
        os.close(slave)
        os.close(master)


def read_seed_rows(path: Path) -> np.ndarray:
    """The s1..s8 columns of a seed-format CSV as (rows, 8) integers."""
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(2, 10), dtype=np.int64)


def wait_until(predicate: Callable[[], bool], timeout_s: float, poll_s: float = 0.05) -> bool:
    """Poll `predicate` until it holds or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return predicate()
