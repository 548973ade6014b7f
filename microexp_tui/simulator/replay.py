"""Replay of a seed-format CSV (timestamp,emotion_label,s1..s8,muscle_name), one row per sample.

A file plays at its own rate when its `timestamp` column is a clock: numbers (seconds) or
ISO 8601 times that never go backwards and tell most consecutive rows apart. The seed
article's files are not (two distinct whole seconds over 12,000 rows): they play at
`DEFAULT_REPLAY_RATE_HZ`, the article's sketch rate, unless told otherwise.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError
from microexp_tui.simulator.signals import ADC_MAX_COUNTS

SEED_COLUMNS = ("timestamp", "emotion_label", *(f"s{i}" for i in range(1, 9)), "muscle_name")
REPLAY_CHANNELS = 8
DEFAULT_REPLAY_RATE_HZ = 20.0
"""The article's sketch rate (delay(50)): how a file without a usable clock plays."""
MIN_DISTINCT_STEP_FRACTION = 0.9
"""A timestamp column is a clock when at least 90% of consecutive rows differ in it."""


@dataclass(frozen=True)
class ReplayData:
    """The rows of a seed-format CSV as (rows, 8) ADC counts."""

    path: Path
    counts: npt.NDArray[np.uint16]
    end: str = "loop"
    """`loop`: start over at the first row; `stop`: the board stops streaming after the last row."""
    clock_rate_hz: float | None = None
    """The rate the file's timestamps show, or None when they are not a usable clock."""
    clock_note: str = ""
    """What the timestamps are: the rate they show, or why they are not a clock."""

    def rate_hz(self, requested_hz: float | None) -> tuple[float, str]:
        """The rate to play at (`requested_hz`, else the file's clock, else the default) and why."""
        if requested_hz is not None:
            return requested_hz, "as requested (--replay-rate-hz)"
        if self.clock_rate_hz is not None:
            return self.clock_rate_hz, f"the file's own rate ({self.clock_note})"
        return DEFAULT_REPLAY_RATE_HZ, (
            f"the default, the article's sketch rate: the file has no usable clock "
            f"({self.clock_note})"
        )

    def block(self, first_index: int, n_samples: int) -> npt.NDArray[np.uint16]:
        """Counts of sample indices first_index.. (wrapping around when looping)."""
        rows = np.arange(first_index, first_index + n_samples) % self.counts.shape[0]
        return self.counts[rows]

    @property
    def row_count(self) -> int:
        """Number of sample rows in the file."""
        return int(self.counts.shape[0])


def load_replay(path: Path, end: str = "loop") -> ReplayData:
    """Read a seed-format CSV, raising InputError that names the file and line on problems."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(cell.strip() for cell in header) != SEED_COLUMNS:
                found = ",".join(header) if header else "an empty file"
                raise InputError(
                    f"{path}, line 1: expected the seed header {','.join(SEED_COLUMNS)}, "
                    f"found {found!r}"
                )
            rows = [(reader.line_num, row) for row in reader if row]
            counts = [_parse_row(path, line, row) for line, row in rows]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"Cannot read the replay file {path}: {err}") from err
    if not rows:
        raise InputError(f"{path}: the file has a header but no sample rows to replay")
    clock_rate_hz, clock_note = clock_rate([row[0] for _, row in rows])
    return ReplayData(
        path=path,
        counts=np.asarray(counts, dtype=np.uint16),
        end=end,
        clock_rate_hz=clock_rate_hz,
        clock_note=clock_note,
    )


def clock_rate(cells: list[str]) -> tuple[float | None, str]:
    """The rows per second a timestamp column shows, or None and why it is not a clock."""
    times = [_seconds(cell) for cell in cells]
    if any(t is None for t in times):
        return None, "its timestamps are not all numbers of seconds or ISO 8601 times"
    seconds = np.asarray(times, dtype=np.float64)
    steps = np.diff(seconds)
    if steps.size == 0:
        return None, "one row has no step to time"
    if (steps < 0).any():
        return None, "its timestamps go backwards"
    distinct = int(np.unique(seconds).size)
    if np.count_nonzero(steps) < MIN_DISTINCT_STEP_FRACTION * steps.size:
        return None, f"{distinct} distinct timestamps over {len(cells)} rows"
    rate_hz = steps.size / float(seconds[-1] - seconds[0])
    return rate_hz, f"{rate_hz:.6g} Hz from its timestamps"


def _seconds(cell: str) -> float | None:
    """A timestamp cell as seconds: a finite number, or an ISO 8601 time; None otherwise."""
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _parse_row(path: Path, line: int, row: list[str]) -> list[int]:
    """The eight channel counts of one CSV row."""
    if len(row) != len(SEED_COLUMNS):
        raise InputError(
            f"{path}, line {line}: expected {len(SEED_COLUMNS)} columns, found {len(row)}"
        )
    values = []
    for column, cell in zip(SEED_COLUMNS[2:10], row[2:10], strict=True):
        try:
            value = int(cell)
        except ValueError:
            raise InputError(
                f"{path}, line {line}: column {column} must be an integer ADC count, found {cell!r}"
            ) from None
        if not 0 <= value <= ADC_MAX_COUNTS:
            raise InputError(
                f"{path}, line {line}: column {column} = {value} is outside 0..{ADC_MAX_COUNTS}"
            )
        values.append(value)
    return values
