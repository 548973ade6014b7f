"""The "Responses by condition" section: planted responses per condition and muscle come out."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microexp_tui.domain.markers import MARKER_STIMULUS_OFFSET, stimulus_onset_code
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.report.gather import read_responses
from microexp_tui.store.sessions import SessionStore
from tests.analysis.trials.test_imported import BURST_S, BURST_UV, imported
from tests.export.helpers import RATE_HZ, montage
from tests.report.conftest import Pdf, make_report
from tests.report.helpers import ReportDb

__all__ = ["imported"]

TRIAL_EVERY_S = 8.0
TRIALS = 12
ZYGOMATICUS, CORRUGATOR = 0, 4
"""Channels of the seed montage (export helpers) the planted responses are on."""
PLANTED = {"happy": (ZYGOMATICUS, 200.0), "anger": (CORRUGATOR, 120.0)}
"""Condition -> (channel, counts added from 0.5 to 3.5 s after each onset)."""
REST_COUNTS = 40.0


def planted_session(path: Path) -> int:
    """A session of alternating happy and anger stimuli whose muscles answer as PLANTED."""
    rng = np.random.default_rng(14)
    n = int((TRIALS * TRIAL_EVERY_S + 4) * RATE_HZ)
    counts = REST_COUNTS + rng.normal(0.0, 3.0, size=(n, 8))
    markers: list[MarkerRecord | tuple[Any, ...]] = []
    for k in range(TRIALS):
        condition = ("happy", "anger")[k % 2]
        onset = int((2.0 + k * TRIAL_EVERY_S) * RATE_HZ)
        channel, level = PLANTED[condition]
        counts[onset + RATE_HZ // 2 : onset + int(3.5 * RATE_HZ), channel] += level
        markers.append(MarkerRecord(onset, stimulus_onset_code(condition), "protocol", condition))
        markers.append(MarkerRecord(onset + 2 * RATE_HZ, MARKER_STIMULUS_OFFSET, "protocol"))
    data = np.clip(np.round(counts), 0, 1023).astype(np.int16)
    with SessionStore.open(path) as store:
        person = store.create_participant("P-TRIAL01", 1992, "female", "right")
        sid = store.start_session(
            person.id,
            sample_rate_hz=RATE_HZ,
            channels=montage(),
            device={"board": "Arduino Mega 2560"},
            simulated=False,
            protocol="six_emotions",
        )
        store.write_batch(sid, Batch(chunks=[(0, data)], markers=markers))
        store.finish_session(sid, "completed")
    return sid


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The planted database and session."""
    path = tmp_path_factory.mktemp("planted") / "sessions.sqlite"
    return path, planted_session(path)


@pytest.fixture(scope="module")
def planted_pdf(planted: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """The planted session's report."""
    path, sid = planted
    return make_report(path, sid, tmp_path_factory.mktemp("planted-pdf") / "planted.pdf")


def table_rows(pdf: Pdf, heading: str) -> dict[str, list[str]]:
    """The rows of the table under `heading` (condition -> the other cells)."""
    text = pdf.text.split("Responses by condition", 1)[1]
    block = text.split(heading, 2)[2] if text.count(heading) >= 2 else text.split(heading, 1)[1]
    body = block.split("% MVC", 1)[1]
    rows = {}
    for condition in ("happy", "anger"):
        found = re.search(rf"\b{condition} ((?:\S+ ){{7}})", body)
        assert found, (condition, body[:300])
        rows[condition] = found.group(1).split()
    return rows


def test_the_planted_responses_are_the_table_means(planted_pdf: Pdf) -> None:
    text = planted_pdf.text
    assert "Responses by condition" in text
    assert f"{TRIALS} trials; baseline -1 to 0 s, response window 0 to 4 s in 100 ms bins" in text
    zyg = table_rows(planted_pdf, "Zygomaticus major")
    cor = table_rows(planted_pdf, "Corrugator supercilii")
    # whole 0..4 s window: the response covers 3 of its 4 s
    assert float(zyg["happy"][2]) == pytest.approx(200 * 3 / 4, rel=0.05)
    assert abs(float(zyg["anger"][2])) < 5
    assert float(cor["anger"][2]) == pytest.approx(120 * 3 / 4, rel=0.05)
    assert abs(float(cor["happy"][2])) < 5
    for rows in (zyg, cor):
        assert rows["happy"][:2] == [str(TRIALS // 2), "0"]  # trials, excluded
    assert "Valence index (corrugator minus zygomaticus)" in text


def test_the_curves_carry_the_planted_time_course(planted: tuple[Path, int]) -> None:
    path, sid = planted
    with SessionStore.open(path) as store:
        responses = read_responses(store, sid)
    curve = next(
        c for c in responses.curves if c.muscle == "Zygomaticus major" and c.condition == "happy"
    )
    means = dict(zip(curve.bin_start_s, curve.mean, strict=True))
    assert abs(means[0.0] or 0.0) < 5  # before the planted response (0.5 s)
    assert means[2.0] == pytest.approx(200, rel=0.05)
    assert abs(means[3.9] or 0.0) < 5  # after it (3.5 s)


def test_a_session_without_trials_says_so_in_one_line(report_db: ReportDb, tmp_path: Path) -> None:
    pdf = make_report(report_db.path, report_db.interrupted, tmp_path / "no-trials.pdf")
    section = pdf.text.split("Responses by condition", 1)[1]
    assert section.lstrip().startswith("Responses by condition: not available.")
    assert len(section.split("not available.", 1)[1].split(".")[0].split()) >= 3  # the reason


def test_the_section_renders_on_a_page(planted_pdf: Pdf, tmp_path: Path) -> None:
    page = next(i for i, t in enumerate(planted_pdf.pages) if "Responses by condition" in t)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    out = tmp_path / "page"
    first = ["-f", str(page + 1), "-l", str(page + 1)]
    command = ["pdftoppm", "-png", "-r", "60", *first, str(planted_pdf.result.path), str(out)]
    subprocess.run(command, check=True)
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    happy = np.array([0xE0, 0xA8, 0x00])  # the happy curve's colour
    assert (np.abs(pixels - happy).sum(axis=2) < 40).sum() > 50


def test_an_imported_session_at_its_own_rate_unit_and_condition_names(
    imported: tuple[Path, int], tmp_path: Path
) -> None:
    path, sid = imported
    pdf = make_report(path, sid, tmp_path / "imported.pdf")
    section = pdf.text.split("Responses by condition", 1)[1]
    assert "11 trials; baseline -1 to 0 s" in section
    assert section.count("Mean change (uV)") == 3  # EMG1..EMG3, named by their labels
    emg1 = section.split("EMG1", 1)[1].split("EMG2", 1)[0]
    burst_uv = 2 * BURST_UV / np.pi * BURST_S / 4  # rectified sine over 1 s of the 4 s window
    found = re.search(r"pull_left 6 0 (\S+)", emg1)
    assert found and float(found.group(1)) == pytest.approx(burst_uv, rel=0.1)
    assert re.search(r"push_right 5 0 -?0\.0", emg1)
