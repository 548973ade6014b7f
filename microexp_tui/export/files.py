"""Small writers shared by the formats: JSON sidecars and TSV tables (None as n/a)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

NOT_AVAILABLE = "n/a"


def write_json(path: Path, data: Any) -> None:
    """Write indented UTF-8 JSON (non-ASCII kept as is), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def tsv_cell(value: Any) -> str:
    """One TSV cell: n/a for None, shortest exact text for numbers, no tabs or newlines."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6)) if value != int(value) else f"{value:.1f}"
    return " ".join(str(value).split())


def write_tsv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a TSV table with a header row."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(tsv_cell(cell) for cell in row) for row in rows]
    write_text(path, "\n".join(lines) + "\n")
