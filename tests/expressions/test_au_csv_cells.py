"""The fast column reader against the csv module, on wide rows, quoted fields and bad rows."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.errors import InputError
from microexp_tui.expressions.au_csv_cells import numeric_column, read_cells

SOURCE = "test.csv"


def csv_columns(text: str, wanted: list[int]) -> dict[int, list[bytes]]:
    """What the csv module finds in the wanted columns, blank lines skipped (the oracle)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)][1:]
    return {index: [row[index].encode() for row in rows] for index in wanted}


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 60),
    rows=st.integers(1, 12),
    cell_bytes=st.integers(1, 40),
    data=st.data(),
)
def test_cut_columns_equal_the_csv_module(
    width: int, rows: int, cell_bytes: int, data: st.DataObject
) -> None:
    wanted = data.draw(st.lists(st.integers(0, width - 1), min_size=1, max_size=width))
    rng = np.random.default_rng(width * 100 + rows)
    lines = [", ".join(f"c{i}" for i in range(width))]
    for _ in range(rows):
        lines.append(",".join(f" {rng.random():.{cell_bytes}f}" for _ in range(width)))
    text = "\n".join(lines) + "\n"
    got = read_cells(SOURCE, text.encode(), width, wanted)
    assert got.cells == csv_columns(text, sorted(set(wanted)))
    assert got.lines == list(range(2, rows + 2))


def test_quoted_fields_and_crlf_read_like_plain_ones() -> None:
    plain = "frame,input,AU12\r\n0,a.mp4,0.9\r\n\r\n1,a.mp4,0.1\r\n"
    quoted = 'frame,input,AU12\r\n0,"a,b.mp4",0.9\r\n\r\n1,"a,b.mp4",0.1\r\n'
    fast = read_cells(SOURCE, plain.encode(), 3, [0, 2])
    slow = read_cells(SOURCE, quoted.encode(), 3, [0, 2])
    assert fast.lines == slow.lines == [2, 4]
    for index in (0, 2):
        np.testing.assert_array_equal(
            numeric_column(SOURCE, "c", fast.cells[index], fast.lines),
            numeric_column(SOURCE, "c", slow.cells[index], slow.lines),
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2,3\n1,2\n", "line 3: 2 fields, the header has 3"),
        ('a,b,c\n1,"2",3\n1,2,3,4\n', "line 3: 4 fields, the header has 3"),
    ],
)
def test_a_row_with_the_wrong_field_count_is_named(text: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        read_cells(SOURCE, text.encode(), 3, [2])


def test_empty_and_nan_cells_are_missing_while_text_and_infinity_are_errors() -> None:
    values = numeric_column(SOURCE, "AU12", [b" 0.5", b"", b"nan", b"1\r"], [2, 3, 4, 5])
    np.testing.assert_array_equal(np.isnan(values), [False, True, True, False])
    for bad in (b"high", b"inf"):
        with pytest.raises(InputError, match=f"line 3, column `AU12`: '{bad.decode()}'"):
            numeric_column(SOURCE, "AU12", [b"0", bad], [2, 3])
