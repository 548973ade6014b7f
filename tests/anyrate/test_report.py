"""`microexp report` on imported sessions: units, labelled stimuli, many channels, pages."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.anyrate.conftest import ImportedDb, microexp, microexp_json
from tests.anyrate.sessions import RAW_2KHZ_UV, create_imported_session


def _text(pdf: Path) -> str:
    """The PDF's text, laid out (poppler's pdftotext)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _rendered_ink(pdf: Path, page: int, tmp_path: Path) -> float:
    """Share of non-white pixels of one page rendered by pdftoppm at 40 dpi."""
    stem = tmp_path / f"page{page}"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), "-png", str(pdf), str(stem)],
        check=True,
    )
    (png,) = tmp_path.glob(f"page{page}*.png")
    pixels = np.asarray(Image.open(png).convert("L"))
    return float((pixels < 200).mean())


@pytest.mark.parametrize("name", ["envelope-20hz-mv", "raw-2khz-uv", "raw-4khz-uv"])
def test_the_report_shows_the_files_units_and_its_labelled_stimuli(
    imported_db: ImportedDb, name: str, tmp_path: Path
) -> None:
    spec = imported_db.specs[name]
    db, session = str(imported_db.path), str(imported_db.ids[name])
    assert microexp("microexpressions", session, "--db", db).returncode == 0
    pdf = tmp_path / "report.pdf"
    result = microexp_json("report", session, "--db", db, "-o", str(pdf))
    text = _text(pdf)
    assert "imported file" in text and f"at {spec.rate_hz:g} Hz" in text
    assert "Frames / CRC errors" not in text, "no board counters for a file"
    assert "imported from a file, which carries no check result" in " ".join(text.split())
    montage = re.findall(rf"^\s*\d+\s+EMG\d+\s+.*\s{spec.unit}\s", text, flags=re.MULTILINE)
    assert len(montage) == len(spec.muscles), "a unit column for every channel"
    # number, onset, target, response ("happy: match", "anger", "?" or "-"), no prediction
    row = r"^\s*\d+\s+\d:\d\d\.\d\s+(\w+)\s+(?:\w+: match|\w+|\?|-)\s+n/a"
    rows = re.findall(row, text, flags=re.MULTILINE)
    assert rows == [condition for _, condition, _ in spec.stimuli], "one row per stimulus event"
    assert re.search(rf"\d\.?\d* {spec.unit}\)", text), "peaks in the channel's unit"
    assert f"activations are in {spec.unit}" in text and " ct" not in text
    assert all(_rendered_ink(pdf, page, tmp_path) > 0.005 for page in range(1, result["pages"] + 1))


def test_a_64_channel_import_splits_its_timeline_and_still_renders(tmp_path: Path) -> None:
    muscles = RAW_2KHZ_UV.muscles * 16
    spec = replace(
        RAW_2KHZ_UV,
        name="raw-64ch",
        muscles=muscles,
        duration_s=12.0,
        stimuli=((4.0, "neutral", (0, 40, 63)),),
    )
    db = tmp_path / "many.sqlite"
    session = create_imported_session(db, spec)
    assert microexp("microexpressions", str(session), "--db", str(db)).returncode == 0
    pdf = tmp_path / "many.pdf"
    result = microexp_json("report", str(session), "--db", str(db), "-o", str(pdf))
    text = _text(pdf)
    assert all(f"channels {a}-{a + 15}" in text for a in (1, 17, 33, 49))
    assert "64 channels at 2000 Hz" in text
    assert all(_rendered_ink(pdf, page, tmp_path) > 0.005 for page in range(1, result["pages"] + 1))
