"""Keyed labels and date shifts: stable per secret, different with another; the secret kept safe."""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

import pytest

from microexp_tui.errors import InputError
from microexp_tui.export import ExportReport, export_sessions
from microexp_tui.export.demographics import age_band, bids_handedness, bids_sex
from microexp_tui.export.pseudonym import LABEL_HEX_CHARS, load_or_create_secret
from tests.export.helpers import PEOPLE, BuiltDb


def _labels(report: ExportReport) -> dict[int, str]:
    """Exported name per database session id."""
    return {s["session_id"]: s["exported_as"] for s in report.sessions}


def test_labels_are_stable_with_the_same_secret_and_differ_with_another(
    built: BuiltDb, secret_file: Path, bids_export: ExportReport, tmp_path: Path
) -> None:
    again = export_sessions(
        built.path, tmp_path / "again", [built.session_ids[2]], "csv", secret_file
    )
    assert _labels(again)[built.session_ids[2]] == _labels(bids_export)[built.session_ids[2]]
    other = export_sessions(
        built.path, tmp_path / "other", [built.session_ids[2]], "csv", tmp_path / "other.key"
    )
    assert other.secret_created
    assert _labels(other)[built.session_ids[2]] != _labels(bids_export)[built.session_ids[2]]
    subject = _labels(bids_export)[built.session_ids[0]].split("_")[0]
    assert len(subject) == len("sub-") + LABEL_HEX_CHARS and subject[4:].isalnum()


def test_the_secret_is_created_owner_only_and_never_inside_the_export(
    secret_file: Path, bids_export: ExportReport, tmp_path: Path
) -> None:
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert not any(p.name == secret_file.name for p in bids_export.out_dir.rglob("*"))
    with pytest.raises(InputError, match="inside the export folder"):
        load_or_create_secret(tmp_path / "out" / "key", tmp_path / "out")


def test_a_readable_secret_is_tightened_and_a_short_one_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = tmp_path / "key"
    key.write_text("0" * 64)
    key.chmod(0o644)
    assert load_or_create_secret(key, tmp_path / "out").key == b"0" * 64
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "now owner-only" in caplog.text
    key.write_text("short")
    key.chmod(0o600)
    with pytest.raises(InputError, match="at least 16"):
        load_or_create_secret(key, tmp_path / "out")


def test_dates_shift_by_whole_weeks_per_participant_to_before_1900(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path / "key", tmp_path / "out")
    moment = datetime.fromisoformat("2026-03-05T10:11:12.345+00:00")
    shifts = {secret.date_shift_days(p.code) for p in PEOPLE}
    assert len(shifts) == 2 and all(days % 7 == 0 for days in shifts)
    for person in PEOPLE:
        shifted = secret.shift(person.code, moment)
        assert shifted.year < 1900
        assert shifted.weekday() == moment.weekday() and shifted.time() == moment.time()
        assert secret.shift(person.code.lower(), moment) == shifted, "codes are case-insensitive"


def test_sessions_keep_their_interval_after_shifting(bids_export: ExportReport) -> None:
    import csv

    for path in bids_export.out_dir.glob("sub-*/sub-*_sessions.tsv"):
        with path.open() as handle:
            times = [
                datetime.fromisoformat(r["acq_time"])
                for r in csv.DictReader(handle, delimiter="\t")
            ]
        assert all(t.year < 1900 for t in times)
        assert abs((times[1] - times[0]).total_seconds()) < 60, "recorded seconds apart"


@pytest.mark.parametrize(
    ("birth_year", "year", "band"),
    [(2000, 2024, "20-24"), (2000, 2025, "25-29"), (1930, 2026, "90+"), (None, 2026, "n/a")],
)
def test_age_bands(birth_year: int | None, year: int, band: str) -> None:
    assert age_band(birth_year, year) == band


def test_sex_and_handedness_map_to_bids_levels() -> None:
    assert [bids_sex(s) for s in ("female", "male", "other", "undisclosed", None)] == [
        "female",
        "male",
        "other",
        "n/a",
        "n/a",
    ]
    assert bids_handedness("ambidextrous") == "ambidextrous" and bids_handedness(None) == "n/a"
