"""Read only the wanted columns of a large CSV, fast, with the line of every row kept.

AU files are wide (OpenFace writes about 700 columns per frame) and the AU and time columns
sit near the start or the end of a row, so each line is cut from whichever end is nearer to
the wanted columns instead of being split whole. A file with quoted fields (pandas quotes
a field holding a comma) is read with the csv module instead. Every row must have the
header's number of fields; a row that does not is named by its line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError

_INITIAL_CUT_BYTES = 256
"""First guess of how many bytes hold the wanted fields at a line's start or end; it grows."""


@dataclass(frozen=True)
class ColumnCells:
    """The raw cells of the wanted columns (header index -> cells) and each row's file line."""

    cells: dict[int, list[bytes]]
    lines: list[int]


def read_cells(source: str, raw: bytes, width: int, wanted: Sequence[int]) -> ColumnCells:
    """Cells of the `wanted` header indexes for every non-blank line after the header."""
    body_start = raw.find(b"\n") + 1 if b"\n" in raw else len(raw)
    if raw.find(b'"', body_start) != -1:
        return _read_quoted(source, raw[body_start:], width, wanted)
    left = sorted(i for i in set(wanted) if i < width - i)
    right = sorted((i for i in set(wanted) if i >= width - i), reverse=True)
    left_rows: list[tuple[bytes, ...]] = []
    right_rows: list[tuple[bytes, ...]] = []
    lines: list[int] = []
    left_cut = right_cut = _INITIAL_CUT_BYTES
    left_pick = _picker(left)
    right_pick = _picker([width - 1 - i for i in right])
    find, count, size = raw.find, raw.count, len(raw)
    position, line = body_start, 1
    while position < size:
        line += 1
        end = find(b"\n", position)
        end = size if end < 0 else end
        if end - position > 8 or raw[position:end].strip():
            fields = count(b",", position, end) + 1
            if fields != width:
                raise InputError(
                    f"{source} line {line}: {fields} fields, the header has {width}; the file "
                    "is truncated or mixes separators."
                )
            if left:
                parts, left_cut = _cut_left(raw, position, end, left[-1], left_cut)
                left_rows.append(left_pick(parts))
            if right:
                parts, right_cut = _cut_right(raw, position, end, width - 1 - right[-1], right_cut)
                right_rows.append(right_pick(parts[::-1]))
            lines.append(line)
        position = end + 1
    cells = {index: [row[k] for row in left_rows] for k, index in enumerate(left)}
    cells |= {index: [row[k] for row in right_rows] for k, index in enumerate(right)}
    return ColumnCells(cells, lines)


def _picker(positions: list[int]) -> Callable[[list[bytes]], tuple[bytes, ...]]:
    """A function taking the given positions of a split line, always as a tuple."""
    if not positions:
        return lambda parts: ()
    if len(positions) == 1:
        return itemgetter(positions[0], positions[0])  # a tuple, not a bare cell
    return itemgetter(*positions)


def _cut_left(raw: bytes, start: int, end: int, last: int, cut: int) -> tuple[list[bytes], int]:
    """Fields 0..`last` of the line raw[start:end], and the cut length that held them."""
    while True:
        parts = raw[start : min(end, start + cut)].split(b",", last + 1)
        if len(parts) > last + 1 or start + cut >= end:
            return parts, cut
        cut *= 2


def _cut_right(raw: bytes, start: int, end: int, last: int, cut: int) -> tuple[list[bytes], int]:
    """Fields from the line's end back to the `last`-th from the end, and the cut length."""
    while True:
        parts = raw[max(start, end - cut) : end].rsplit(b",", last + 1)
        if len(parts) > last + 1 or end - cut <= start:
            return parts, cut
        cut *= 2


def _read_quoted(source: str, body: bytes, width: int, wanted: Sequence[int]) -> ColumnCells:
    """The slow path for files with quoted fields: the csv module reads every field."""
    cells: dict[int, list[bytes]] = {index: [] for index in wanted}
    lines: list[int] = []
    text = body.decode("utf-8", errors="replace")
    reader = csv.reader(text.splitlines())
    for row in reader:
        line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise InputError(
                f"{source} line {line}: {len(row)} fields, the header has {width}; the file is "
                "truncated or mixes separators."
            )
        for index in wanted:
            cells[index].append(row[index].encode())
        lines.append(line)
    return ColumnCells(cells, lines)


def numeric_column(
    source: str, name: str, cells: list[bytes], lines: list[int]
) -> npt.NDArray[np.float64]:
    """A column as floats; an empty or `nan` cell is NaN (not coded), other text is an error."""
    try:
        values = np.array(list(map(float, cells)), dtype=np.float64)
    except ValueError:
        values = np.array([_cell_number(cell) for cell in cells], dtype=np.float64)
    unreadable = np.flatnonzero(np.isinf(values))  # infinities and text (see _cell_number)
    if unreadable.size:
        at = int(unreadable[0])
        cell = cells[at].decode("utf-8", errors="replace").strip()
        raise InputError(f"{source} line {lines[at]}, column `{name}`: {cell!r} is not a number.")
    return values


_UNREADABLE = -math.inf
"""Marks a cell that is neither a number nor empty (reported by `numeric_column`)."""


def _cell_number(cell: bytes) -> float:
    """One cell as a float: NaN when empty, -inf (reported as unreadable) when not a number."""
    if not cell.strip():
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return _UNREADABLE


def text_column(cells: list[bytes]) -> list[str]:
    """A column's cells as stripped text."""
    return [cell.decode("utf-8", errors="replace").strip() for cell in cells]
