"""Trial tables end to end: real simulated recordings at two stations, every format, the
wide and summary tables, a partitioned dataset read by DuckDB, keyed labels against local
codes, pooling across stations, the PII scan and refusals."""

from __future__ import annotations

import csv
import sqlite3
import statistics
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.table import TRIAL_COLUMNS, WHOLE_WINDOW_BIN
from microexp_tui.errors import InputError
from microexp_tui.export import IdentifyingDataError
from microexp_tui.export.pseudonym import load_or_create_secret
from microexp_tui.export.trial_tables import (
    Station,
    TrialRequest,
    TrialTablesReport,
    write_trial_tables,
)
from tests.export.trial_sessions import (
    CODES,
    OPERATOR,
    PLANTED_NAME,
    PLANTED_NOTES,
    Stations,
    build_stations,
)

OPTIONS = TrialOptions(baseline_s=(-0.5, 0.0), window_s=(0.0, 1.0), bin_ms=250)


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory) -> Stations:
    """Both stations' databases (recorded once for this module)."""
    return build_stations(tmp_path_factory.mktemp("stations"))


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site secret file outside every output."""
    path = tmp_path_factory.mktemp("secret") / "site.key"
    load_or_create_secret(path, path.parent / "elsewhere")
    return path


def _both(stations: Stations) -> tuple[Station, Station]:
    """The two stations, named."""
    return Station(stations.a, "lab-a"), Station(stations.b, "lab-b")


def _write(recorded: Stations, secret: Path, out: Path, **changes: object) -> TrialTablesReport:
    """Trial tables of every session of both stations (or as `changes` say)."""
    values: dict[str, object] = {
        "stations": _both(recorded),
        "out": out,
        "options": OPTIONS,
        "secret_file": secret,
    }
    return write_trial_tables(TrialRequest(**(values | changes)))  # type: ignore[arg-type]


def _read(path: Path) -> list[dict[str, object]]:
    """A written table as dicts (CSV and TSV values as text)."""
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t" if path.suffix == ".tsv" else ","))


def _all_bytes(*paths: Path) -> bytes:
    """Every byte of these files and the files under these folders, names included."""
    found = b""
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            found += str(file).encode() + file.read_bytes()
    return found


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_every_format_writes_the_long_table_and_its_summary(
    stations: Stations, secret: Path, tmp_path: Path, fmt: str
) -> None:
    report = _write(stations, secret, tmp_path / f"trials.{fmt}", fmt=fmt)
    table, summary = tmp_path / f"trials.{fmt}", tmp_path / f"trials_summary.{fmt}"
    assert report.files == [table, summary]
    rows = _read(table)
    assert list(rows[0]) == list(TRIAL_COLUMNS)
    assert len(rows) == report.rows
    assert {r["site"] for r in rows} == {"lab-a", "lab-b"} == set(report.sites)
    assert {(r["site"], r["session"]) for r in rows} == {
        ("lab-a", "ses-01"),
        ("lab-a", "ses-02"),
        ("lab-b", "ses-01"),
    }
    assert report.sessions == 4, "three at lab-a, one with trials at lab-b"
    assert any("no stimulus onset" in w for w in report.warnings)
    assert {str(r["condition"]) for r in rows} == {"happy", "anger"}
    trials = {(r["site"], r["participant"], r["session"], str(r["trial"])) for r in rows}
    assert len(trials) == report.trials
    whole = [r for r in rows if str(r["bin"]) == str(WHOLE_WINDOW_BIN)]
    assert len(rows) == len(whole) * 5, "the whole window and four 250 ms bins"
    excluded = sum(str(r["excluded"]).lower() == "true" for r in whole)
    assert excluded == sum(report.excluded.values())
    summary_rows = _read(summary)
    assert {"participant", "condition", "muscle", "trials", "excluded", "mean_change"} <= set(
        summary_rows[0]
    )


def test_participants_carry_the_exports_keyed_label_and_nothing_identifying(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    _write(stations, secret, tmp_path / "t.parquet", fmt="parquet")
    key = load_or_create_secret(secret, tmp_path)
    labels = {f"sub-{key.subject_label(code)}" for code in CODES}
    rows = _read(tmp_path / "t.parquet")
    assert {r["participant"] for r in rows} == labels
    written = _all_bytes(tmp_path).decode("utf-8", "replace").lower()
    written += str(_read(tmp_path / "t.parquet")).lower()
    for text in (*CODES, PLANTED_NAME, "quillfeather", "featherstonehaugh", OPERATOR):
        assert text.lower() not in written


def test_local_codes_write_the_stations_codes(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    _write(stations, secret, tmp_path / "t.csv", local_codes=True)
    rows = _read(tmp_path / "t.csv")
    assert {r["participant"] for r in rows} == set(CODES)
    assert PLANTED_NOTES.encode() not in _all_bytes(tmp_path)


def _kept_z(rows: list[dict[str, object]], participant: str, muscle: str) -> dict[str, list[float]]:
    """Kept whole-window z of one participant and muscle, per site."""
    found: dict[str, list[float]] = {}
    for r in rows:
        mine = r["participant"] == participant and r["muscle"] == muscle and r["bin"] == 0
        if mine and not r["excluded"] and r["z"] is not None:
            found.setdefault(str(r["site"]), []).append(float(r["z"]))  # type: ignore[arg-type]
    return found


def test_the_same_label_at_two_stations_is_standardised_together(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    _write(stations, secret, tmp_path / "keyed.parquet", fmt="parquet")
    _write(stations, secret, tmp_path / "local.parquet", fmt="parquet", local_codes=True)
    keyed, local = _read(tmp_path / "keyed.parquet"), _read(tmp_path / "local.parquet")
    label = f"sub-{load_or_create_secret(secret, tmp_path).subject_label(CODES[0])}"
    muscle = str(next(r["muscle"] for r in keyed if r["site"] == "lab-b"))
    pooled = _kept_z(keyed, label, muscle)
    assert set(pooled) == {"lab-a", "lab-b"}
    together = pooled["lab-a"] + pooled["lab-b"]
    assert statistics.fmean(together) == pytest.approx(0.0, abs=1e-9)
    alone = _kept_z(local, CODES[0], muscle)
    assert statistics.fmean(alone["lab-a"]) == pytest.approx(0.0, abs=1e-9)
    assert alone["lab-a"] != pooled["lab-a"], "local codes at two stations are not pooled"


def test_a_partitioned_dataset_is_one_duckdb_query(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    report = _write(stations, secret, out, fmt="parquet", partitioned=True)
    assert report.files == [out, tmp_path / "dataset_summary.parquet"]
    relation = duckdb.sql(
        f"SELECT site, session, count(DISTINCT participant) AS people, count(*) AS n "
        f"FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
        "GROUP BY ALL ORDER BY ALL"
    )
    assert relation is not None
    found = relation.fetchall()
    assert [(site, session) for site, session, _, _ in found] == [
        ("lab-a", "ses-01"),
        ("lab-a", "ses-02"),
        ("lab-b", "ses-01"),
    ]
    assert sum(n for *_, n in found) == report.rows
    assert found[0][2] == 2, "both lab-a participants have a first session"


def test_the_wide_table_has_one_row_per_trial(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    report = _write(stations, secret, tmp_path / "wide.csv", wide=True)
    rows = _read(tmp_path / "wide.csv")
    assert len(rows) == report.trials
    assert len({(r["site"], r["participant"], r["session"], r["trial"]) for r in rows}) == len(rows)
    names = list(rows[0])
    assert "corrugator_zygomaticus_change" in names
    assert any(name.endswith("_change_b04") for name in names)
    assert all(name.replace("_", "").isalnum() for name in names)


def test_identifying_data_in_a_table_refuses_it_and_leaves_nothing(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    planted = tmp_path / "planted.sqlite"
    with sqlite3.connect(stations.a) as source, sqlite3.connect(planted) as copy:
        source.backup(copy)
    with sqlite3.connect(planted) as db:
        db.execute("UPDATE channels SET label = 'Quillfeather' WHERE channel_index = 0")
    out = tmp_path / "out" / "t.csv"
    with pytest.raises(IdentifyingDataError, match="participant name"):
        _write(stations, secret, out, stations=(Station(planted, "lab-a"),))
    assert list((tmp_path / "out").iterdir()) == []


def test_an_existing_output_is_not_overwritten(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    (tmp_path / "t_summary.csv").write_text("mine\n")
    with pytest.raises(InputError, match="already exists"):
        _write(stations, secret, tmp_path / "t.csv")
    assert (tmp_path / "t_summary.csv").read_text() == "mine\n"
    assert not (tmp_path / "t.csv").exists()


def test_named_sessions_without_trials_are_refused(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no stimulus onset"):
        _write(
            stations,
            secret,
            tmp_path / "t.csv",
            stations=(Station(stations.b, "lab-b"),),
            session_ids=(stations.b_without_trials,),
        )
    assert list(tmp_path.iterdir()) == []


def test_a_partial_output_left_by_a_stopped_run_is_removed(
    stations: Stations, secret: Path, tmp_path: Path
) -> None:
    left = tmp_path / ".t.csv.partial-abc123"
    left.mkdir()
    (left / "t.csv").write_text("half\n")
    report = _write(stations, secret, tmp_path / "t.csv")
    assert not left.exists()
    assert any("stopped before it finished" in w for w in report.warnings)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t_summary.csv"]
