"""The simulated board on a pseudo-terminal: pacing, back-pressure, hang-ups and unplugging.

One thread, one non-blocking master fd polled for input and output. The slave is set raw
and closed again at once, so a POLLHUP/EIO on the master means no host holds the port;
inotify (openwatch) also catches a host that closes and reopens between two polls. Either
way the board resets to idle, like the Mega's auto-reset on DTR.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import termios
import time
import tty
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from microexp_tui.errors import DeviceError, InputError
from microexp_tui.simulator.board import OutChunk
from microexp_tui.simulator.faults import Fault
from microexp_tui.simulator.openwatch import OpenWatcher

log = logging.getLogger(__name__)

TICK_S = 0.005
"""Paced mode sends what is due every 5 ms (catching up after a stall in 5 ms slices, each
offered to the host before the next, so a stalled simulator is not billed as overflow)."""
IDLE_POLL_S = 0.05
HANGUP_SLEEP_S = 0.01
UNPLUG_GRACE_S = 1.0
"""At a disconnect fault, frames already queued get this long to reach the host."""
FAST_LOW_WATER_BYTES = 256 * 1024
FAST_HIGH_WATER_BYTES = 512 * 1024
"""Fast mode generates ahead, while the host is busy (the pty full), up to this much queued:
about 20 s of 8-channel signal, so a protocol marker the host sends when it has read up to
the marker's time is stamped at most that far late (4 MiB let markers land 160 s late)."""
FAST_AHEAD_SAMPLES = 512
"""A block generated ahead is short, so a host that comes back to read waits little for it."""
READ_BYTES = 4096
WRITE_BYTES = 64 * 1024


class ServedBoard(Protocol):
    """What the server drives: the framed board (`SimulatedBoard`) or the legacy sketch."""

    streaming: bool
    stream_number: int
    next_index: int
    disconnect_request: Fault | None

    @property
    def sample_rate_hz(self) -> float:
        """Sample sets (or sketch lines) per second while streaming."""
        ...

    def receive(self, data: bytes) -> list[OutChunk]:
        """Handle host bytes; returns the replies."""
        ...

    def produce(self, n_samples: int) -> list[OutChunk]:
        """The bytes of the next `n_samples` sample sets."""
        ...

    def host_opened(self) -> None:
        """A host opened the port."""
        ...

    def take_disconnect_request(self) -> Fault | None:
        """The disconnect fault that just became due, once."""
        ...

    def count_tx_overflow(self, frames: int) -> None:
        """Count frames the transmit buffer had no room for."""
        ...

    def reset(self) -> None:
        """Back to power-up state: the host closed the port."""
        ...


@dataclass(frozen=True)
class ServeOptions:
    """How the server moves bytes: pacing, transmit buffer, link path and lifetime."""

    fast: bool = False
    link: Path | None = None
    duration_s: float | None = None
    tx_buffer_bytes: int = 4096
    fast_block_samples: int = 8192


class TxQueue:
    """Bytes waiting for the host; with a capacity, whole frames that do not fit are dropped."""

    def __init__(self, capacity_bytes: int | None) -> None:
        """An empty queue; `None` capacity never drops (fast mode blocks instead)."""
        self.capacity_bytes = capacity_bytes
        self._chunks: deque[memoryview] = deque()
        self.pending_bytes = 0

    def push(self, chunks: Iterable[OutChunk]) -> int:
        """Queue chunks; returns how many droppable frames had no room."""
        dropped = 0
        for chunk in chunks:
            data = memoryview(chunk.data)
            if chunk.droppable and self.capacity_bytes is not None:
                room = max(self.capacity_bytes - self.pending_bytes, 0)
                fits = min(room // chunk.frame_bytes, len(data) // chunk.frame_bytes)
                dropped += len(data) // chunk.frame_bytes - fits
                data = data[: fits * chunk.frame_bytes]
            if len(data):
                self._chunks.append(data)
                self.pending_bytes += len(data)
        return dropped

    def write_to(self, fd: int, before_write: Callable[[], None]) -> int:
        """Write as much as the fd takes without blocking; raises OSError (EIO) on hang-up.

        `before_write` runs before every write call and may clear the queue (host gone).
        """
        written = 0
        while self._chunks:
            before_write()
            if not self._chunks:
                break
            head = self._chunks[0]
            try:
                count = os.write(fd, head[:WRITE_BYTES])
            except (BlockingIOError, InterruptedError):
                break
            written += count
            self.pending_bytes -= count
            if count == len(head):
                self._chunks.popleft()
            else:
                self._chunks[0] = head[count:]
        return written

    def clear(self) -> None:
        """Forget everything queued (the host went away)."""
        self._chunks.clear()
        self.pending_bytes = 0


class PseudoTerminal:
    """A raw pty whose slave path (or a stable symlink to it) is handed to the host."""

    def __init__(self, link: Path | None) -> None:
        """Nothing is opened until `open`."""
        self.link = link
        self.fd = -1
        self.slave_path = ""
        self.watcher: OpenWatcher | None = None

    def open(self) -> str:
        """Open a new pty (slave set raw, then closed); returns the path to announce."""
        master, slave = os.openpty()
        tty.setraw(slave)
        self.slave_path = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(master, False)
        self.fd = master
        self.watcher = OpenWatcher.create(self.slave_path)
        if self.link is None:
            return self.slave_path
        self._point_link()
        return str(self.link)

    def _point_link(self) -> None:
        """Create or atomically re-point the symlink at the current slave."""
        assert self.link is not None
        if self.link.exists() and not self.link.is_symlink():
            raise InputError(f"--link {self.link}: a file that is not a symlink is in the way")
        temporary = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
        try:
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(self.slave_path)
            os.replace(temporary, self.link)
        except OSError as err:
            raise InputError(f"--link {self.link}: cannot create the symlink: {err}") from err

    def host_opens(self) -> list[int]:
        """+1/-1 per open/close of the slave by hosts since the last call (if watchable)."""
        return self.watcher.changes() if self.watcher is not None else []

    def flush_host_input(self) -> None:
        """Discard bytes the last host left unread, so the next one starts clean."""
        if self.watcher is not None:
            self.watcher.expect_own_open()
        try:
            fd = os.open(self.slave_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            termios.tcflush(fd, termios.TCIFLUSH)
        finally:
            os.close(fd)

    def close(self, remove_link: bool = False) -> None:
        """Close the master (the host sees a hang-up); optionally remove our symlink."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None
        if remove_link and self._link_is_ours():
            assert self.link is not None
            self.link.unlink(missing_ok=True)

    def _link_is_ours(self) -> bool:
        """Whether the symlink exists and still points at our current slave."""
        link = self.link
        return link is not None and link.is_symlink() and os.readlink(link) == self.slave_path


class Server:
    """Runs a board on a pty until told to stop or until its duration is up."""

    def __init__(
        self,
        board: ServedBoard,
        options: ServeOptions,
        out: TextIO,
        should_stop: Callable[[], bool],
    ) -> None:
        """Wire a board to a pty; `out` receives one line per pty path."""
        self.board = board
        self.options = options
        self.out = out
        self.should_stop = should_stop
        self.pty = PseudoTerminal(options.link)
        self.tx = TxQueue(None if options.fast else options.tx_buffer_bytes)
        self._host_present = False
        self._openers = 0
        self._stream_number = 0
        self._stream_t0 = 0.0
        self._deadline = float("inf")
        self._unplug_grace_until: float | None = None
        self._pty_full = False

    def run(self) -> int:
        """Serve until stopped; returns the exit code (0)."""
        if self.options.duration_s is not None:
            self._deadline = time.monotonic() + self.options.duration_s
        try:
            self._announce(self.pty.open())
            while not self._finished():
                if self._unplug_due():
                    self._unplug()
                else:
                    self._step()
        finally:
            self.pty.close(remove_link=True)
        return 0

    def _unplug_due(self) -> bool:
        """A disconnect fault is due and what was sent before it left (or had its chance)."""
        if self.board.disconnect_request is None:
            self._unplug_grace_until = None
            return False
        if self._unplug_grace_until is None:
            self._unplug_grace_until = time.monotonic() + UNPLUG_GRACE_S
        return not self.tx.pending_bytes or time.monotonic() >= self._unplug_grace_until

    def _finished(self) -> bool:
        """Whether a signal arrived or the duration is over."""
        return self.should_stop() or time.monotonic() >= self._deadline

    def _announce(self, path: str) -> None:
        """Print a port path as one stdout line (the only thing ever printed there)."""
        log.info("simulated board on %s", path)
        try:
            print(path, file=self.out, flush=True)
        except (BrokenPipeError, OSError, ValueError):
            log.warning("could not print the port path %s", path)

    def _step(self) -> None:
        """One poll round: read commands, produce due samples, write what the host takes."""
        events = select.POLLIN | (select.POLLOUT if self.tx.pending_bytes else 0)
        poller = select.poll()
        poller.register(self.pty.fd, events)
        if self.pty.watcher is not None:
            poller.register(self.pty.watcher.fd, select.POLLIN)
        ready = dict(poller.poll(self._poll_timeout_s() * 1000))
        revents = ready.get(self.pty.fd, 0)
        self._pty_full = bool(self.tx.pending_bytes) and not revents & select.POLLOUT
        try:
            self._check_opens()
            if revents & select.POLLIN:
                self._read()
            elif revents & (select.POLLHUP | select.POLLERR):
                raise OSError(errno.EIO, "no host holds the port")
            self._host_connected()
            self._produce()
            if self.tx.pending_bytes:
                self.tx.write_to(self.pty.fd, self._check_opens)
        except OSError as err:
            if err.errno not in (errno.EIO, errno.EBADF):
                raise DeviceError(f"pty {self.pty.slave_path} failed: {err}") from err
            self._host_gone()
            time.sleep(HANGUP_SLEEP_S)

    def _check_opens(self) -> None:
        """Reset the board when the last host closed the slave, even if another reopened it."""
        for change in self.pty.host_opens():
            self._openers = max(self._openers + change, 0)
            if change > 0:
                self._host_connected()
            elif self._openers == 0:
                self._host_gone()

    def _poll_timeout_s(self) -> float:
        """How long to wait for the host: 0 when fast mode can produce, a tick when paced."""
        if not self.board.streaming:
            return IDLE_POLL_S
        if self.options.fast:
            return 0.0 if self._fast_block_samples() else IDLE_POLL_S
        return TICK_S

    def _read(self) -> None:
        """Read and handle every waiting host byte; raises OSError(EIO) on hang-up."""
        while True:
            try:
                data = os.read(self.pty.fd, READ_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            if not data:
                raise OSError(errno.EIO, "end of file on the pty master")
            self._host_connected()
            self.tx.push(self.board.receive(data))

    def _host_connected(self) -> None:
        """Note that a host holds the port (the board hears of it: a sketch starts printing)."""
        if not self._host_present:
            self._host_present = True
            log.info("host opened %s", self.pty.slave_path)
            self.board.host_opened()

    def _produce(self) -> None:
        """Generate the samples now due (paced) or another block (fast, if the host keeps up)."""
        board = self.board
        if not board.streaming:
            return
        if board.stream_number != self._stream_number:
            self._stream_number, self._stream_t0 = board.stream_number, time.monotonic()
        if self.options.fast:
            samples = self._fast_block_samples()
            if samples:
                self.tx.push(board.produce(samples))
            return
        due = int((time.monotonic() - self._stream_t0) * board.sample_rate_hz)
        slice_samples = max(1, int(board.sample_rate_hz * TICK_S))
        while board.streaming and board.next_index < due and self.pty.fd >= 0:
            chunks = board.produce(min(due - board.next_index, slice_samples))
            if not chunks:
                break
            dropped = self.tx.push(chunks)
            if dropped:
                board.count_tx_overflow(dropped)
            self.tx.write_to(self.pty.fd, self._check_opens)

    def _fast_block_samples(self) -> int:
        """Samples fast mode generates now: a block below the low water, a short one ahead while
        the host is busy (the pty full) below the high water, else none (the host is reading)."""
        pending = self.tx.pending_bytes
        if pending < FAST_LOW_WATER_BYTES:
            return self.options.fast_block_samples
        if self._pty_full and pending < FAST_HIGH_WATER_BYTES:
            return FAST_AHEAD_SAMPLES
        return 0

    def _host_gone(self) -> None:
        """No host holds the port any more: reset the board, as the Mega's DTR reset does."""
        if self._host_present:
            log.info("host closed %s: board reset to idle", self.pty.slave_path)
            self._host_present = False
            self.board.reset()
            self.tx.clear()
            self.pty.flush_host_input()

    def _unplug(self) -> None:
        """A disconnect fault: close the pty, wait, then announce a new one."""
        fault = self.board.take_disconnect_request()
        assert fault is not None
        log.info("disconnect fault: unplugged for %.3f s", fault.duration_s)
        self.tx.clear()
        self.board.reset()
        self._host_present = False
        self._openers = 0
        self.pty.close()
        until = time.monotonic() + fault.duration_s
        while time.monotonic() < until and not self._finished():
            time.sleep(min(IDLE_POLL_S, max(until - time.monotonic(), 0.0)))
        if not self._finished():
            self._announce(self.pty.open())
