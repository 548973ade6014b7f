"""Parquet and CSV exports read with pandas and DuckDB: samples, events, sessions, labels."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from microexp_tui.export import ExportReport
from tests.export.helpers import RATE_HZ, BuiltDb

MV_PER_COUNT = 5000 / 1024


def _name_of(report: ExportReport, session_id: int) -> str:
    """Exported session name of a database session."""
    return next(s["exported_as"] for s in report.sessions if s["session_id"] == session_id)


def _read(path: Path) -> pd.DataFrame:
    """A Parquet or CSV table with pandas."""
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


@pytest.mark.parametrize("fixture", ["parquet_export", "csv_export"])
def test_long_samples_match_the_store_with_nulls_in_gaps(
    fixture: str, built: BuiltDb, request: pytest.FixtureRequest
) -> None:
    report: ExportReport = request.getfixturevalue(fixture)
    ext = report.fmt
    for sid, block in built.samples.items():
        stored = block.values
        frame = _read(report.out_dir / "samples" / f"{_name_of(report, sid)}.{ext}")
        assert list(frame.columns) == [
            "session",
            "channel",
            "sample_index",
            "time_s",
            "value_mv",
            "condition",
            "simulated",
        ]
        assert len(frame) == stored.size
        wide = frame.pivot(index="sample_index", columns="channel", values="value_mv")
        wide = wide[[f"EMG{i}" for i in range(1, 9)]].to_numpy()
        present = ~block.missing
        np.testing.assert_allclose(wide[present], stored[present] * MV_PER_COUNT, rtol=1e-6)
        assert np.isnan(wide[~present]).all()
        np.testing.assert_allclose(frame["time_s"], frame["sample_index"] / RATE_HZ)
        assert frame["simulated"].astype(bool).eq(sid in built.simulated_ids).all()


def test_condition_column_follows_the_stimulus_blocks(
    built: BuiltDb, parquet_export: ExportReport
) -> None:
    name = _name_of(parquet_export, built.session_ids[2])
    frame = pd.read_parquet(parquet_export.out_dir / "samples" / f"{name}.parquet")
    at = frame[frame["channel"] == "EMG1"].set_index("sample_index")["condition"]
    assert at[int(2.0 * RATE_HZ)] == "happy"
    assert at[int(3.4 * RATE_HZ)] == "happy"
    assert at[int(3.6 * RATE_HZ)] == "rest"
    assert pd.isna(at[int(0.5 * RATE_HZ)])


@pytest.mark.parametrize("fixture", ["parquet_export", "csv_export"])
def test_duckdb_joins_samples_events_and_sessions(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    report: ExportReport = request.getfixturevalue(fixture)
    root, ext = report.out_dir, report.fmt
    reader = "read_parquet" if ext == "parquet" else "read_csv_auto"
    con = duckdb.connect()
    per_session = con.execute(
        f"SELECT s.session, s.simulated, COUNT(*) AS n FROM {reader}('{root}/samples/*.{ext}') x "
        f"JOIN {reader}('{root}/sessions.{ext}') s USING (session) "
        "GROUP BY s.session, s.simulated ORDER BY s.session"
    ).fetchall()
    assert len(per_session) == 4
    assert [n for _, _, n in per_session] == [12 * RATE_HZ * 8] * 4
    assert sum(bool(sim) for _, sim, _ in per_session) == 1
    stimuli = con.execute(
        f"SELECT target_emotion, COUNT(*) FROM {reader}('{root}/events.{ext}') "
        "WHERE trial_type = 'stimulus' GROUP BY target_emotion ORDER BY target_emotion"
    ).fetchall()
    assert stimuli == [("disgust", 4), ("happy", 4), ("surprise", 4)]


def test_tables_use_the_same_pseudonyms_as_bids(
    parquet_export: ExportReport, csv_export: ExportReport, bids_export: ExportReport
) -> None:
    names = {s["exported_as"] for s in bids_export.sessions}
    assert {s["exported_as"] for s in parquet_export.sessions} == names
    sessions = pd.read_parquet(parquet_export.out_dir / "sessions.parquet")
    assert set(sessions["session"]) == names
    assert sessions["acq_time"].str.startswith("18").all(), "dates shifted before 1900"
    participants = pd.read_csv(csv_export.out_dir / "participants.csv")
    bids = pd.read_csv(bids_export.out_dir / "participants.tsv", sep="\t")
    assert set(participants["participant_id"]) == set(bids["participant_id"])
    assert set(participants.columns) == set(bids.columns)


def test_channels_table_names_muscles(parquet_export: ExportReport) -> None:
    channels = pd.read_parquet(parquet_export.out_dir / "channels.parquet")
    first = channels[channels["index"] == 0]
    assert set(first["target_muscle"]) == {"Zygomaticus major"}
    assert set(first["action_units"]) == {"AU12"}
    assert channels.groupby("session").size().eq(8).all()
