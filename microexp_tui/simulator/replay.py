"""Replay of a seed-format CSV (timestamp,emotion_label,s1..s8,muscle_name), one row per sample."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError
from microexp_tui.simulator.signals import ADC_MAX_COUNTS

SEED_COLUMNS = ("timestamp", "emotion_label", *(f"s{i}" for i in range(1, 9)), "muscle_name")
REPLAY_CHANNELS = 8


@dataclass(frozen=True)
class ReplayData:
    """The rows of a seed-format CSV as (rows, 8) ADC counts."""

    path: Path
    counts: npt.NDArray[np.uint16]
    end: str = "loop"
    """`loop`: start over at the first row; `stop`: the board stops streaming after the last row."""

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
            rows = [_parse_row(path, reader.line_num, row) for row in reader if row]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"Cannot read the replay file {path}: {err}") from err
    if not rows:
        raise InputError(f"{path}: the file has a header but no sample rows to replay")
    counts = np.asarray(rows, dtype=np.uint16)
    return ReplayData(path=path, counts=counts, end=end)


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
