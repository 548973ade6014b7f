"""A fixed-capacity ring of the latest filtered samples: the DSP thread writes, the UI reads."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt


class RingBuffer:
    """Newest `capacity_samples` rows of a (samples, channels) float32 stream, by absolute index."""

    def __init__(self, capacity_samples: int, channels: int) -> None:
        """Allocate the ring once; nothing is allocated while streaming."""
        if capacity_samples <= 0 or channels <= 0:
            raise ValueError("capacity_samples and channels must be positive")
        self.capacity_samples = capacity_samples
        self.channels = channels
        self._data = np.zeros((capacity_samples, channels), dtype=np.float32)
        self._flags = np.zeros((capacity_samples, channels), dtype=np.uint8)
        self._next_index = 0
        self._count = 0
        self._lock = threading.Lock()

    @property
    def next_index(self) -> int:
        """Absolute index one past the newest sample written."""
        return self._next_index

    def write(
        self,
        first_index: int,
        values: npt.NDArray[np.float32],
        flags: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        """Append a block whose first row has absolute index `first_index` (gaps read as 0)."""
        with self._lock:
            if first_index > self._next_index:
                self._write_rows(np.zeros((first_index - self._next_index, self.channels)), None)
            elif first_index < self._next_index:
                skip = self._next_index - first_index
                values = values[skip:]
                flags = flags[skip:] if flags is not None else None
            self._write_rows(values, flags)

    def _write_rows(self, values: npt.NDArray, flags: npt.NDArray[np.uint8] | None) -> None:
        """Copy rows into the ring, wrapping, keeping only the newest `capacity_samples`."""
        n = values.shape[0]
        if n > self.capacity_samples:
            self._next_index += n - self.capacity_samples
            values = values[-self.capacity_samples :]
            flags = flags[-self.capacity_samples :] if flags is not None else None
            n = self.capacity_samples
        start = self._next_index % self.capacity_samples
        first = min(n, self.capacity_samples - start)
        self._data[start : start + first] = values[:first]
        self._data[: n - first] = values[first:]
        if flags is None:
            self._flags[start : start + first] = 0
            self._flags[: n - first] = 0
        else:
            self._flags[start : start + first] = flags[:first]
            self._flags[: n - first] = flags[first:]
        self._next_index += n
        self._count = min(self.capacity_samples, self._count + n)

    def latest(self, n_samples: int) -> tuple[int, npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
        """Copy of the newest rows: (absolute index of the first row, values, flags)."""
        with self._lock:
            n = min(n_samples, self._count)
            first_index = self._next_index - n
            rows = (np.arange(first_index, self._next_index) % self.capacity_samples).astype(
                np.intp
            )
            return first_index, self._data[rows].copy(), self._flags[rows].copy()
