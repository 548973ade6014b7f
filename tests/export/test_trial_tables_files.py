"""The trial-table writers on hand-made rows: every format, the wide form, a partitioned
dataset read back with DuckDB."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from microexp_tui.analysis.trials.table import TRIAL_COLUMNS, TrialRow
from microexp_tui.export.trial_files import (
    TableWriter,
    WideTable,
    column_stem,
    rows_table,
    trial_schema,
    write_partitioned,
)


def _row(site: str, participant: str, session: str, trial: int, muscle: str, bin_: int) -> TrialRow:
    """A row whose numbers encode where it belongs (so a read-back can be checked)."""
    change = trial * 10.0 + bin_ + (0.5 if muscle == "zygomaticus" else 0.0)
    return TrialRow(
        site=site,
        participant=participant,
        session=session,
        trial=trial,
        condition="happy" if trial % 2 else "angry",
        onset_s=trial * 5.0,
        muscle=muscle,
        channel=f"{muscle[:3].upper()}-L",
        unit="uV",
        bin=bin_,
        bin_start_s=0.0 if bin_ == 0 else (bin_ - 1) * 0.5,
        bin_end_s=1.0 if bin_ == 0 else bin_ * 0.5,
        baseline=2.0,
        mean=2.0 + change,
        change=change,
        pct_change=None if trial == 2 else 50.0 * change,
        z=None,
        pct_mvc=None,
        peak=change + 1,
        peak_latency_s=0.25,
        onset_latency_s=None,
        excluded=trial == 3,
        exclude_reason="clipping" if trial == 3 else "",
    )


def _rows(
    site: str = "lab-a", participant: str = "sub-abc", session: str = "ses-01"
) -> list[TrialRow]:
    """Three trials, two muscles, the whole window and two bins."""
    return [
        _row(site, participant, session, trial, muscle, bin_)
        for trial in (1, 2, 3)
        for muscle in ("corrugator", "zygomaticus")
        for bin_ in (0, 1, 2)
    ]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_the_long_table_holds_every_row_with_the_issues_column_names(
    tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"t.{fmt}"
    rows = _rows()
    writer = TableWriter(path, fmt, trial_schema())
    writer.write(rows_table(rows[:5]))
    writer.write(rows_table(rows[5:]))
    writer.close()
    if fmt == "parquet":
        back = pq.read_table(path).to_pylist()
    else:
        with path.open(newline="") as handle:
            back = list(csv.DictReader(handle, delimiter="\t" if fmt == "tsv" else ","))
    assert writer.rows == len(rows) == len(back)
    assert list(back[0]) == list(TRIAL_COLUMNS)
    for column in ("participant", "session", "trial", "condition", "onset_s", "muscle",
                   "channel", "bin_start_s", "bin_end_s", "baseline", "mean", "change",
                   "pct_change", "z", "pct_mvc", "peak", "peak_latency_s", "excluded",
                   "exclude_reason"):  # fmt: skip
        assert column in back[0]
    assert float(back[-1]["change"]) == rows[-1].change
    empty = back[6]  # trial 2: pct_change left empty
    assert empty["pct_change"] in (None, "")


def test_a_partitioned_dataset_is_read_by_duckdb_with_its_partition_columns(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    rows = _rows("lab-a", "sub-abc", "ses-01") + _rows("lab-b", "sub-0123", "ses-02")
    write_partitioned(root, rows)
    assert (
        root / "site=lab-b" / "participant=sub-0123" / "session=ses-02" / "part-0.parquet"
    ).is_file()
    relation = duckdb.sql(
        f"SELECT site, participant, session, count(*) AS n, sum(change) AS total "
        f"FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true) "
        "GROUP BY ALL ORDER BY site"
    )
    assert relation is not None
    found = relation.fetchall()
    total = sum(r.change or 0 for r in _rows())
    assert found == [
        ("lab-a", "sub-abc", "ses-01", 18, pytest.approx(total)),
        ("lab-b", "sub-0123", "ses-02", 18, pytest.approx(total)),
    ]


def test_the_wide_table_has_one_row_per_trial_and_spss_names() -> None:
    wide = WideTable()
    wide.add(_rows())
    table = wide.table().to_pylist()
    assert [r["trial"] for r in table] == [1, 2, 3]
    first = table[0]
    assert first["corrugator_change"] == 10.0
    assert first["zygomaticus_change_b02"] == 12.5
    assert table[2]["corrugator_excluded"] == 1
    assert table[2]["corrugator_exclude_reason"] == "clipping"
    assert all(column_stem(name) == name for name in first)


def test_one_muscle_on_two_channels_gets_a_column_per_channel() -> None:
    rows = _rows()
    right = [
        r.__class__(**{**r.__dict__, "channel": "COR-R"}) for r in rows if r.muscle == "corrugator"
    ]
    wide = WideTable()
    wide.add(rows + right)
    names = list(wide.table().column_names)
    assert "corrugator_COR_L_change" in names and "corrugator_COR_R_change" in names
    assert "zygomaticus_change" in names


def test_column_stems_are_variable_names() -> None:
    assert column_stem("corrugator-zygomaticus") == "corrugator_zygomaticus"
    assert column_stem("1st ch") == "m_1st_ch"
    assert column_stem("--") == "x"
