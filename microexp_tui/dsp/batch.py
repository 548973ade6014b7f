"""Filtering a stored recording on both cores: channel groups on threads, pieces read ahead.

`scipy.signal.sosfilt` releases the GIL and filters each channel on its own, so the
streaming filter bank's channels split into groups, each group's own bank on its own thread,
give the same float32 envelope bit for bit as one bank over every channel. `read_ahead`
produces the next filtered pieces on a thread while the caller works on the current one
(offline classification). The live recorder keeps its one bank (`filters.py`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from microexp_tui.dsp.filters import FilterSettings, StreamingFilterBank
from microexp_tui.dsp.units import WorkingUnits

T = TypeVar("T")
U = TypeVar("U")
FILTER_THREADS = 2
"""Channel groups filtered at once (the project's small lab machines have two cores)."""
READ_AHEAD_PIECES = 2
"""Filtered pieces a reading thread may hold before the caller has taken them."""


class SplitFilterBank:
    """The filter bank of `working` over channel groups on threads, same output as one bank."""

    def __init__(
        self,
        working: WorkingUnits,
        sensor_kinds: Sequence[str],
        settings: FilterSettings,
        threads: int = FILTER_THREADS,
    ) -> None:
        """One bank per group of adjacent channels (at most `threads` groups)."""
        count = len(sensor_kinds)
        groups = [
            g for g in np.array_split(np.arange(count), max(1, min(threads, count))) if g.size
        ]
        self.whole = working.filter_bank(list(sensor_kinds), settings)
        self._parts = [
            (
                group,
                StreamingFilterBank(
                    [sensor_kinds[i] for i in group],
                    settings,
                    raw_offsets=working.raw_offset[group].tolist(),
                    unit=working.description,
                ),
            )
            for group in groups
        ]
        self._pool = ThreadPoolExecutor(len(self._parts), thread_name_prefix="filters")

    @property
    def description(self) -> list[str]:
        """The filter chain per channel, as the single bank describes it."""
        return self.whole.description

    def process(self, values: np.ndarray) -> np.ndarray:
        """Filter `(samples, channels)` working values into a float32 envelope, groups at once."""
        if len(self._parts) == 1:
            return self._parts[0][1].process(values)
        out = np.empty(values.shape, dtype=np.float32)
        futures = [(group, self._pool.submit(bank.process, values[:, group]))
                   for group, bank in self._parts]  # fmt: skip
        for group, future in futures:
            out[:, group] = future.result()
        return out

    def close(self) -> None:
        """Stop the filter threads."""
        self._pool.shutdown()

    def __enter__(self) -> SplitFilterBank:
        """The bank, its threads stopped on leaving."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the filter threads."""
        self.close()


class _Failure:
    """An exception raised on the reading thread, handed to the caller to raise."""

    def __init__(self, error: BaseException) -> None:
        """Keep the exception."""
        self.error = error


_END = object()


def read_ahead(
    items: Iterable[T], work: Callable[[T], U], depth: int = READ_AHEAD_PIECES
) -> Generator[U, None, None]:
    """`work(item)` of each item in order, computed on a thread up to `depth` items ahead.

    An exception on the thread is raised here, where the caller takes the item; a caller that
    stops early stops the thread at its next item.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce() -> None:
        """Work through the items until they end, fail or the caller stops."""
        try:
            for item in items:
                if stop.is_set():
                    return
                handoff.put(work(item))
            handoff.put(_END)
        except BaseException as error:  # handed to the caller, raised there
            handoff.put(_Failure(error))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while (got := handoff.get()) is not _END:
            if isinstance(got, _Failure):
                raise got.error
            yield got  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.05)
        thread.join()
