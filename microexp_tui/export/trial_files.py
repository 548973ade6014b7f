"""Trial tables as files: the long table, the wide one (one row per trial), the summary.

Long and summary tables stream to CSV, TSV or Parquet (pyarrow) one participant at a time;
a hive-partitioned Parquet dataset (site=/participant=/session=) gets one file per session,
the partition columns left to the folder names (as DuckDB, Spark and pyarrow expect). The
wide table is built from the whole-window and bin rows of every trial and written at the end
(one row per trial is small; the long rows are not kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from microexp_tui.analysis.trials.table import TRIAL_COLUMNS, WHOLE_WINDOW_BIN, TrialRow

TABLE_FORMATS: tuple[str, ...] = ("csv", "tsv", "parquet")
PARTITION_COLUMNS: tuple[str, ...] = ("site", "participant", "session")
"""The hive partition keys of `--partitioned`, outermost first."""
PART_FILE = "part-0.parquet"
WIDE_KEYS: tuple[str, ...] = ("site", "participant", "session", "trial", "condition", "onset_s")
"""Columns that name a trial in the wide table, before the per-muscle columns."""
WIDE_WHOLE_MEASURES: tuple[str, ...] = (
    "baseline",
    "mean",
    "change",
    "pct_change",
    "z",
    "pct_mvc",
    "peak",
    "peak_latency_s",
    "onset_latency_s",
    "excluded",
    "exclude_reason",
)
"""Whole-window measures of each muscle in the wide table: `<muscle>_<measure>`."""
WIDE_BIN_MEASURES: tuple[str, ...] = ("change", "z")
"""Per-bin measures of each muscle in the wide table: `<muscle>_<measure>_b<NN>`."""
_NOT_A_NAME_CHAR = re.compile(r"[^A-Za-z0-9_]+")


def trial_schema() -> Any:
    """The Arrow schema of the long table (TRIAL_COLUMNS, in order)."""
    import pyarrow as pa

    kinds = {"str": pa.string(), "int": pa.int32(), "bool": pa.bool_()}
    return pa.schema(
        [pa.field(f.name, kinds.get(str(f.type), pa.float64())) for f in fields(TrialRow)]
    )


def rows_table(rows: Sequence[TrialRow], drop: Sequence[str] = ()) -> Any:
    """The rows as an Arrow table of the long schema, without the `drop` columns."""
    import pyarrow as pa

    schema = trial_schema()
    columns = {name: [getattr(row, name) for row in rows] for name in TRIAL_COLUMNS}
    table = pa.Table.from_pydict(columns, schema=schema)
    return table.drop_columns(list(drop)) if drop else table


class TableWriter:
    """One table streamed to a CSV, TSV or Parquet file, batch by batch."""

    def __init__(self, path: Path, fmt: str, schema: Any) -> None:
        """Open `path` for a table of `schema` in `fmt`."""
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._writer: Any
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            delimiter = "\t" if fmt == "tsv" else ","
            options = pcsv.WriteOptions(delimiter=delimiter, quoting_style="needed")
            self._writer = pcsv.CSVWriter(path, schema, write_options=options)

    def write(self, table: Any) -> None:
        """Append a table of this writer's schema."""
        if table.num_rows:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> None:
        """Finish the file (a Parquet footer)."""
        self._writer.close()


def write_table(path: Path, fmt: str, table: Any) -> None:
    """Write one whole table (the summary, the wide table)."""
    writer = TableWriter(path, fmt, table.schema)
    writer.write(table)
    writer.close()


def records_table(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> Any:
    """Records as an Arrow table with these columns (missing values null)."""
    import pyarrow as pa

    return pa.Table.from_pydict({name: [r.get(name) for r in records] for name in columns})


def dataclass_table(items: Sequence[Any], kind: type) -> Any:
    """Dataclass instances (summary rows) as an Arrow table, tuples kept as lists."""
    names = [f.name for f in fields(kind)]
    return records_table([asdict(item) for item in items], names)


def partition_path(root: Path, row: TrialRow) -> Path:
    """The file of a row's session in a hive-partitioned dataset under `root`."""
    parts = [f"{key}={getattr(row, key)}" for key in PARTITION_COLUMNS]
    return root.joinpath(*parts, PART_FILE)


def write_partitioned(root: Path, rows: Sequence[TrialRow]) -> int:
    """One Parquet file per (site, participant, session) of `rows`; the rows written."""
    import pyarrow.parquet as pq

    by_session: dict[Path, list[TrialRow]] = {}
    for row in rows:
        by_session.setdefault(partition_path(root, row), []).append(row)
    for path, session_rows in by_session.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows_table(session_rows, PARTITION_COLUMNS), path, compression="zstd")
    return len(rows)


def column_stem(name: str) -> str:
    """A name usable in an SPSS or R variable name: letters, digits and underscores."""
    stem = _NOT_A_NAME_CHAR.sub("_", name).strip("_") or "x"
    return stem if stem[0].isalpha() else f"m_{stem}"


class WideTable:
    """The wide form (one row per trial) gathered from long rows, participant by participant."""

    def __init__(self) -> None:
        """An empty table."""
        self.records: dict[tuple[str, str, str, int], dict[str, Any]] = {}
        self.columns: dict[str, None] = dict.fromkeys(WIDE_KEYS)

    def add(self, rows: Iterable[TrialRow]) -> None:
        """Fold long rows into their trials' wide rows."""
        rows = list(rows)
        stems = _muscle_stems(rows)
        for row in rows:
            key = (row.site, row.participant, row.session, row.trial)
            record = self.records.setdefault(key, {name: getattr(row, name) for name in WIDE_KEYS})
            stem = stems[(row.site, row.session, row.muscle, row.channel)]
            for measure, value in _measures(row):
                name = f"{stem}_{measure}"
                self.columns.setdefault(name)
                record[name] = value

    def merge(self, other: WideTable) -> None:
        """Take in another table's trials (another participant's) and columns."""
        self.records.update(other.records)
        for name in other.columns:
            self.columns.setdefault(name)

    def table(self) -> Any:
        """The wide rows as an Arrow table, in trial order."""
        ordered = [self.records[key] for key in sorted(self.records)]
        return records_table(ordered, list(self.columns))


def _muscle_stems(rows: Sequence[TrialRow]) -> dict[tuple[str, str, str, str], str]:
    """Column stem of each (site, session, muscle, channel): the muscle, or muscle_channel
    where a session records one muscle on several channels."""
    channels: dict[tuple[str, str, str], set[str]] = {}
    for row in rows:
        channels.setdefault((row.site, row.session, row.muscle), set()).add(row.channel)
    stems = {}
    for (site, session, muscle), names in channels.items():
        for channel in names:
            several = len(names) > 1
            text = f"{muscle}_{channel}" if several else muscle
            stems[(site, session, muscle, channel)] = column_stem(text)
    return stems


def _measures(row: TrialRow) -> list[tuple[str, Any]]:
    """(column suffix, value) of a long row in the wide table."""
    if row.bin == WHOLE_WINDOW_BIN:
        return [
            (m, int(row.excluded) if m == "excluded" else getattr(row, m))
            for m in WIDE_WHOLE_MEASURES
        ]
    return [(f"{m}_b{row.bin:02d}", getattr(row, m)) for m in WIDE_BIN_MEASURES]
