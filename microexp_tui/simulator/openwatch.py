"""Notice hosts opening and closing the pty slave, even when they reopen at once (Linux inotify).

POLLHUP on the master only shows while no process holds the slave, so a host that closes
and reopens within a few milliseconds would keep a streaming board; inotify's IN_OPEN and
IN_CLOSE events on the device node are queued and cannot be missed. Where inotify is not
available (not Linux), `OpenWatcher.create` returns None and the server relies on POLLHUP.
"""

from __future__ import annotations

import ctypes
import os
import struct

IN_CLOSE_WRITE = 0x008
IN_CLOSE_NOWRITE = 0x010
IN_OPEN = 0x020
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT_HEADER = struct.Struct("iIII")


class OpenWatcher:
    """Reports +1 for each open and -1 for each close of one path, skipping our own."""

    def __init__(self, fd: int) -> None:
        """Wrap an inotify descriptor that already watches the path."""
        self.fd = fd
        self._own_opens = 0
        self._own_closes = 0

    @classmethod
    def create(cls, path: str) -> OpenWatcher | None:
        """A watcher for `path`, or None where inotify is unavailable."""
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = int(libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
        except (OSError, AttributeError):
            return None
        if fd < 0:
            return None
        mask = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE
        if libc.inotify_add_watch(fd, os.fsencode(path), mask) < 0:
            os.close(fd)
            return None
        return cls(fd)

    def expect_own_open(self) -> None:
        """We are about to open and close the path once ourselves: do not report it."""
        self._own_opens += 1
        self._own_closes += 1

    def changes(self) -> list[int]:
        """+1 per open and -1 per close by others since the last call, in order."""
        changes = []
        for mask in self._masks():
            if mask & IN_OPEN:
                if self._own_opens:
                    self._own_opens -= 1
                else:
                    changes.append(1)
            if mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE):
                if self._own_closes:
                    self._own_closes -= 1
                else:
                    changes.append(-1)
        return changes

    def _masks(self) -> list[int]:
        """Event masks waiting on the inotify descriptor."""
        masks: list[int] = []
        while True:
            try:
                data = os.read(self.fd, 4096)
            except (BlockingIOError, InterruptedError):
                return masks
            if not data:
                return masks
            offset = 0
            while offset + _EVENT_HEADER.size <= len(data):
                _, mask, _, name_bytes = _EVENT_HEADER.unpack_from(data, offset)
                masks.append(mask)
                offset += _EVENT_HEADER.size + name_bytes

    def close(self) -> None:
        """Stop watching."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
