"""`microexp export` of imported sessions: their rate, their units, their labelled events."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest

from microexp_tui.domain.channels import MV_PER_UNIT
from tests.anyrate.conftest import ImportedDb, microexp_json
from tests.anyrate.sessions import (
    ENVELOPE_20HZ_MV,
    RAW_2KHZ_UV,
    RAW_4KHZ_UV,
    create_imported_session,
    physical_signal,
    stored_values,
)


def _export(db: Path, out: Path, fmt: str, *sessions: int) -> None:
    """Export the sessions (k = 1: one participant each) into `out`."""
    secret = out.parent / "secret.key"
    chosen = ["--session", *map(str, sessions)] if sessions else []
    microexp_json(
        "export",
        "--db",
        str(db),
        "--out",
        str(out),
        "--format",
        fmt,
        "--k",
        "1",
        "--secret-file",
        str(secret),
        *chosen,
    )


@pytest.fixture(scope="module")
def parquet_export(imported_db: ImportedDb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three imported sessions exported as Parquet."""
    out = tmp_path_factory.mktemp("parquet") / "export"
    _export(imported_db.path, out, "parquet")
    return out


def _session_of(export: Path, rate_hz: float) -> str:
    """The exported name of the session recorded at `rate_hz`."""
    sessions = pd.read_parquet(export / "sessions.parquet")
    (name,) = sessions.loc[sessions["sample_rate_hz"] == rate_hz, "session"]
    return str(name)


@pytest.mark.parametrize("name", ["envelope-20hz-mv", "raw-2khz-uv", "raw-4khz-uv"])
def test_samples_keep_the_sessions_rate_and_physical_values(
    imported_db: ImportedDb, parquet_export: Path, name: str
) -> None:
    spec = imported_db.specs[name]
    session = _session_of(parquet_export, spec.rate_hz)
    frame = pd.read_parquet(parquet_export / "samples" / f"{session}.parquet")
    wide = frame.pivot(index="sample_index", columns="channel", values="value_mv")
    times = frame.drop_duplicates("sample_index")["time_s"].to_numpy()
    np.testing.assert_allclose(np.diff(times), 1 / spec.rate_hz, rtol=1e-9)
    expected = stored_values(spec, physical_signal(spec)) * spec.scale * MV_PER_UNIT[spec.unit]
    np.testing.assert_allclose(wide.to_numpy(), expected, rtol=1e-5, atol=1e-7)
    channels = pd.read_parquet(parquet_export / "channels.parquet")
    assert set(channels.loc[channels["session"] == session, "units"]) == {"mV"}


def test_labelled_events_keep_their_condition_and_target(
    imported_db: ImportedDb, parquet_export: Path
) -> None:
    session = _session_of(parquet_export, RAW_4KHZ_UV.rate_hz)
    events = pd.read_parquet(parquet_export / "events.parquet")
    stimuli = events[(events["session"] == session) & (events["source"] == "import")]
    expected = [
        (
            round(onset * RAW_4KHZ_UV.rate_hz),
            condition,
            None if condition == "neutral" else condition,
        )
        for onset, condition, _ in RAW_4KHZ_UV.stimuli
    ]
    found = [
        (
            int(row.sample),
            row.trial_type,
            None if pd.isna(row.target_emotion) else row.target_emotion,
        )
        for row in stimuli.itertuples()
    ]
    assert found == expected


def test_a_session_in_feature_units_exports_values_in_its_own_unit(tmp_path: Path) -> None:
    spec = replace(
        RAW_4KHZ_UV, name="feature", unit="au", duration_s=8.0, stimuli=((2.0, "neutral", (0,)),)
    )
    db = tmp_path / "feature.sqlite"
    create_imported_session(db, spec)
    _export(db, tmp_path / "csv", "csv")
    (samples,) = (tmp_path / "csv" / "samples").glob("*.csv")
    frame = pd.read_csv(samples)
    assert "value" in frame.columns and "value_mv" not in frame.columns
    wide = frame.pivot(index="sample_index", columns="channel", values="value").to_numpy()
    np.testing.assert_allclose(wide, physical_signal(spec).astype(np.float32), rtol=1e-6)
    assert set(pd.read_csv(tmp_path / "csv" / "channels.csv")["units"]) == {"au"}


def test_a_bids_export_of_an_int16_import_reads_in_mne_at_its_rate_and_unit(tmp_path: Path) -> None:
    spec = replace(RAW_2KHZ_UV, sample_format="int16", scale=0.1, physical_range=(-3000.0, 3000.0))
    db = tmp_path / "int16.sqlite"
    create_imported_session(db, spec)
    _export(db, tmp_path / "bids", "bids")
    (edf,) = (tmp_path / "bids").rglob("*_emg.edf")
    raw = mne.io.read_raw_edf(edf, verbose="error")
    assert raw.info["sfreq"] == spec.rate_hz
    assert set(raw._orig_units.values()) == {"µV"}
    n = round(spec.duration_s * spec.rate_hz)
    volts = raw.get_data()[:, :n].T
    expected_uv = stored_values(spec, physical_signal(spec)) * spec.scale
    np.testing.assert_allclose(volts * 1e6, expected_uv, atol=0.1)
    events = pd.read_csv(next((tmp_path / "bids").rglob("*_events.tsv")), sep="\t")
    onsets = events.loc[events["source"] == "import", "onset"].to_list()
    assert onsets == pytest.approx([onset for onset, _, _ in spec.stimuli])


def test_a_float32_import_exports_as_bdf_read_by_mne_at_its_rate_and_unit(
    imported_db: ImportedDb, tmp_path: Path
) -> None:
    spec = ENVELOPE_20HZ_MV
    _export(imported_db.path, tmp_path / "bids", "bids", imported_db.ids[spec.name])
    (bdf,) = (tmp_path / "bids").rglob("*_emg.bdf")
    raw = mne.io.read_raw_bdf(bdf, verbose="error")
    assert raw.info["sfreq"] == spec.rate_hz
    assert set(raw._orig_units.values()) == {"mV"}
    n = round(spec.duration_s * spec.rate_hz)
    physical_mv = stored_values(spec, physical_signal(spec)).astype(np.float64) * spec.scale
    span_mv = float(np.ptp(physical_mv))
    np.testing.assert_allclose(raw.get_data()[:, :n].T * 1e3, physical_mv, atol=span_mv / 2**22)
