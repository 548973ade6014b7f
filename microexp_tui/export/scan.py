"""Scan every file of an export folder for identifying values, by what the file holds.

File and folder names are scanned too. EDF: the header and every annotation byte (samples
are binary numbers). JSON: the raw text and every decoded key and string (escapes such as
\\u00eb are undone). Parquet: the schema, its metadata and every distinct string, date and
timestamp value, decoded from the compressed pages, and integer columns checked for
digit-only values (phone numbers). CSV: parsed the same way (a column only parses as
numbers if it holds nothing else; a file that does not parse is read as raw text
instead). Anything else (TSV, Markdown, the manifest): the raw bytes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from microexp_tui.export import edf
from microexp_tui.export.pii import (
    CONTACT,
    MIN_PHONE_DIGITS,
    Finding,
    Needle,
    scan_bytes,
    scan_stream,
)

STRING_BATCH_ROWS = 1 << 20
CSV_BLOCK_BYTES = 16 << 20


def scan_tree(root: Path, patterns: Sequence[Needle]) -> list[Finding]:
    """Every sensitive value found in any file or folder name under `root`, or in any file
    (first place per file)."""
    findings: list[Finding] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        seen: set[bytes] = set()
        found = scan_name(path, patterns)
        if path.is_file():
            found = itertools.chain(found, scan_file(path, patterns))
        for where, needle in found:
            if needle.pattern not in seen:
                seen.add(needle.pattern)
                findings.append(Finding(relative, where, needle.item))
    return findings


def scan_name(path: Path, patterns: Sequence[Needle]) -> Iterator[tuple[str, Needle]]:
    """Matches in the name of a file or folder itself."""
    where = "folder name" if path.is_dir() else "file name"
    for _, needle in scan_bytes(path.name.encode("utf-8", "surrogateescape"), patterns, camel=True):
        yield where, needle


def scan_file(path: Path, patterns: Sequence[Needle]) -> Iterator[tuple[str, Needle]]:
    """(where, needle) for each match in one file, by the file's kind."""
    suffix = path.suffix.lower()
    if suffix in (".edf", ".bdf"):
        yield from _scan_parts(edf.header_and_annotations(path), patterns)
    elif suffix == ".parquet":
        yield from _scan_parts(parquet_text(path, _digit_values(patterns)), patterns)
    elif suffix == ".csv":
        yield from _scan_csv(path, patterns)
    elif suffix == ".json":
        yield from scan_stream(path, patterns)
        yield from _scan_parts(json_text(path), patterns)
    else:
        yield from scan_stream(path, patterns)


def _scan_parts(
    parts: Iterator[tuple[str, bytes]] | list[tuple[str, bytes]], patterns: Sequence[Needle]
) -> Iterator[tuple[str, Needle]]:
    """Matches in labelled byte strings."""
    for where, data in parts:
        for _, needle in scan_bytes(data, patterns):
            yield where, needle


def json_text(path: Path) -> list[tuple[str, bytes]]:
    """Every key and string of a JSON document, decoded, one per line."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    return [("decoded JSON strings", "\n".join(_strings(document)).encode("utf-8"))]


def _strings(value: Any) -> Iterator[str]:
    """Keys and string values of nested JSON data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def parquet_text(path: Path, digits: Sequence[int] = ()) -> Iterator[tuple[str, bytes]]:
    """Schema, metadata and distinct text-like values of a Parquet file, decoded."""
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path)
    schema = handle.schema_arrow
    meta = schema.metadata or {}
    header = [*schema.names, *(k.decode("utf-8", "replace") for k in meta)]
    header += [v.decode("utf-8", "replace") for v in meta.values()]
    yield "Parquet schema and metadata", "\n".join(header).encode("utf-8")
    for batch in handle.iter_batches(batch_size=STRING_BATCH_ROWS):
        yield from _batch_text(batch, "Parquet", digits)


def _scan_csv(path: Path, patterns: Sequence[Needle]) -> Iterator[tuple[str, Needle]]:
    """A CSV file parsed into typed columns, or as raw text when it does not parse."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    digits = _digit_values(patterns)
    found: list[tuple[str, Needle]] = []
    try:
        reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES))
        header = "\n".join(reader.schema.names).encode("utf-8")
        found += list(_scan_parts([("CSV header", header)], patterns))
        for batch in reader:
            found += list(_scan_parts(_batch_text(batch, "CSV", digits), patterns))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        found = list(scan_stream(path, patterns))
    yield from found


def _digit_values(patterns: Sequence[Needle]) -> list[int]:
    """Phone numbers as digits (9+), to look for in integer columns.

    Shorter digit values (a compact date such as 20260305) are left out: integer columns
    hold sample indices, which reach such numbers in any long recording.
    """
    values = {
        int(n.pattern)
        for n in patterns
        if n.pattern.isdigit() and n.item.kind == CONTACT and len(n.pattern) >= MIN_PHONE_DIGITS
    }
    return sorted(v for v in values if v < 1 << 63)


def _batch_text(batch: Any, kind: str, digits: Sequence[int]) -> Iterator[tuple[str, bytes]]:
    """Distinct text, dates and sensitive integers of each column of a record batch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        where = f"{kind} column '{name}'"
        if _text_like(column.type, pa):
            yield where, "\n".join(_distinct_text(column, pa)).encode("utf-8")
        elif digits and pa.types.is_integer(column.type):
            wide = column.cast(pa.int64(), safe=False)
            hits = pc.filter(wide, pc.is_in(wide, value_set=pa.array(digits, pa.int64())))
            yield where, "\n".join(str(v) for v in hits.to_pylist()).encode("utf-8")


def _text_like(kind: Any, pa: Any) -> bool:
    """Whether a column type can carry text or a calendar date."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_temporal(kind)
    )


def _distinct_text(column: Any, pa: Any) -> list[str]:
    """The distinct non-null values of a column chunk, as text."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.dictionary
    values = pc.unique(column.drop_null())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string()) if not pa.types.is_binary(values.type) else values
    return [
        v if isinstance(v, str) else bytes(v).decode("utf-8", "replace") for v in values.to_pylist()
    ]
