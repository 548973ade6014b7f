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
import mmap
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError

Buffer: TypeAlias = bytes | mmap.mmap
"""A file's bytes, read or memory-mapped."""
_INITIAL_CUT_BYTES = 256
"""First guess of how many bytes hold the wanted fields at a line's start or end; it grows."""
_COUNT_BLOCK_BYTES = 1 << 24
"""Bytes compared at a time when counting separators (bounds the temporary mask)."""


@dataclass(frozen=True)
class ColumnCells:
    """The raw cells of the wanted columns (header index -> cells) and each row's file line."""

    cells: dict[int, list[bytes]]
    lines: list[int]


def read_cells(source: str, raw: Buffer, width: int, wanted: Sequence[int]) -> ColumnCells:
    """Cells of the `wanted` header indexes for every non-blank line after the header."""
    newline = raw.find(b"\n")
    body_start = newline + 1 if newline >= 0 else len(raw)
    if raw.find(b'"', body_start) != -1:
        return _read_quoted(source, raw[body_start:], width, wanted)
    left = sorted(i for i in set(wanted) if i < width - i)
    right = sorted((i for i in set(wanted) if i >= width - i), reverse=True)
    with ThreadPoolExecutor(max_workers=1) as pool:  # numpy counts without the GIL
        commas = pool.submit(count_byte, raw, body_start, ord(","))
        try:
            left_rows, right_rows, lines = _cut_rows(raw, body_start, width, left, right)
        except IndexError:  # a row too short for the wanted columns
            _check_field_counts(source, raw, body_start, width)
            raise
        if commas.result() != len(lines) * (width - 1):
            _check_field_counts(source, raw, body_start, width)
    return ColumnCells(_columns(left, left_rows) | _columns(right, right_rows), lines)


def _columns(indexes: list[int], flat: list[bytes]) -> dict[int, list[bytes]]:
    """Picked cells laid row after row, turned into one list per column."""
    width = len(indexes) + (len(indexes) == 1)  # a lone column was picked twice
    return {index: flat[k::width] for k, index in enumerate(indexes)}


def count_byte(raw: Buffer, start: int, byte: int) -> int:
    """How many times `byte` occurs in raw[start:], counted by numpy in blocks."""
    data = np.frombuffer(raw, dtype=np.uint8)[start:]
    return sum(
        int(np.count_nonzero(data[at : at + _COUNT_BLOCK_BYTES] == byte))
        for at in range(0, data.size, _COUNT_BLOCK_BYTES)
    )


def _cut_rows(
    raw: Buffer, body_start: int, width: int, left: list[int], right: list[int]
) -> tuple[list[bytes], list[bytes], list[int]]:
    """Per non-blank line, laid row after row: the `left` fields cut from its start, the
    `right` ones from its end; and the file line of each row."""
    left_rows: list[bytes] = []
    right_rows: list[bytes] = []
    lines: list[int] = []
    left_cut = right_cut = _INITIAL_CUT_BYTES
    left_last = left[-1] + 1 if left else 0  # splits needed from the start
    right_last = width - right[-1] if right else 0  # splits needed from the end
    left_pick = _picker(left)
    right_pick = _picker([i - width for i in right])  # negative: counted from the end
    find, size = raw.find, len(raw)
    position, line = body_start, 1
    while position < size:
        line += 1
        end = find(b"\n", position)
        if end < 0:
            end = size
        if end - position > 8 or raw[position:end].strip():
            if left_last:
                stop = position + left_cut
                parts = raw[position : stop if stop < end else end].split(b",", left_last)
                if len(parts) <= left_last and stop < end:
                    parts, left_cut = _cut_left(raw, position, end, left_last, left_cut)
                left_rows.extend(left_pick(parts))
            if right_last:
                start = end - right_cut
                parts = raw[start if start > position else position : end].rsplit(b",", right_last)
                if len(parts) <= right_last and start > position:
                    parts, right_cut = _cut_right(raw, position, end, right_last, right_cut)
                right_rows.extend(right_pick(parts))
            lines.append(line)
        position = end + 1
    return left_rows, right_rows, lines


def _check_field_counts(source: str, raw: Buffer, body_start: int, width: int) -> None:
    """Name the first non-blank line whose number of fields differs from the header's."""
    for offset, text in enumerate(raw[body_start:].split(b"\n")):
        fields = text.count(b",") + 1
        if text.strip() and fields != width:
            raise InputError(
                f"{source} line {offset + 2}: {fields} fields, the header has {width}; the file "
                "is truncated or mixes separators."
            )


def _picker(positions: list[int]) -> Callable[[list[bytes]], tuple[bytes, ...]]:
    """A function taking the given positions of a split line, always as a tuple."""
    if not positions:
        return lambda parts: ()
    if len(positions) == 1:
        return itemgetter(positions[0], positions[0])  # a tuple, not a bare cell
    return itemgetter(*positions)


def _cut_left(raw: Buffer, start: int, end: int, splits: int, cut: int) -> tuple[list[bytes], int]:
    """The line raw[start:end] split `splits` times from its start, and the cut that held it."""
    while True:
        cut *= 2
        parts = raw[start : min(end, start + cut)].split(b",", splits)
        if len(parts) > splits or start + cut >= end:
            return parts, cut


def _cut_right(raw: Buffer, start: int, end: int, splits: int, cut: int) -> tuple[list[bytes], int]:
    """The line raw[start:end] split `splits` times from its end, and the cut that held it."""
    while True:
        cut *= 2
        parts = raw[max(start, end - cut) : end].rsplit(b",", splits)
        if len(parts) > splits or end - cut <= start:
            return parts, cut


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
        values = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except ValueError:
        values = np.fromiter(map(_cell_number, cells), dtype=np.float64, count=len(cells))
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
    try:
        return float(cell)
    except ValueError:
        return math.nan if not cell.strip() else _UNREADABLE


def text_column(cells: list[bytes]) -> list[str]:
    """A column's cells as stripped text."""
    return [cell.decode("utf-8", errors="replace").strip() for cell in cells]
