"""What the report says, checked against the database: counters, stimuli, statuses, sections."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.expressions import Activation, Expression
from microexp_tui.paths import resource_dir
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import add_session
from tests.report.conftest import Pdf, make_report
from tests.report.helpers import (
    CRC_ERRORS,
    GAP,
    MAIN_DURATION_S,
    ReportDb,
    predicted_emotion,
    stimulus_plan,
)

RATE_HZ = 250


def shipped_card(name: str) -> dict[str, Any]:
    """A shipped model card as stored in models/."""
    loaded: dict[str, Any] = json.loads((resource_dir("models") / f"{name}.card.json").read_text())
    return loaded


def clock(t_s: float) -> str:
    """The report's m:ss.s time format."""
    minutes, seconds = divmod(t_s, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def test_counters_match_the_database(main_pdf: Pdf, report_db: ReportDb) -> None:
    with SessionStore.open(report_db.path) as store:
        record = store.session(report_db.main)
    frames = record.counters["frames"]
    assert f"Frames received {frames:,} CRC errors {CRC_ERRORS}" in main_pdf.text
    assert f"Frames / CRC errors {frames:,} / {CRC_ERRORS}" in main_pdf.text
    assert f"Lost samples {GAP[1]} per channel ({1000 * GAP[1] / RATE_HZ:.0f} ms)" in main_pdf.text
    assert "Sequence gaps 1" in main_pdf.text
    assert f"{record.stored_samples:,} of {record.samples_per_channel:,} per channel" in (
        main_pdf.text
    )
    assert "6 pass · 1 amber · 1 fail" in main_pdf.text


def test_each_stimulus_row_matches_the_stored_protocol_and_predictions(main_pdf: Pdf) -> None:
    plan = stimulus_plan(MAIN_DURATION_S)
    confidence = 0.8 / (0.8 + 6 * 0.02)
    for number, (onset, _offset, target) in enumerate(plan):
        predicted = predicted_emotion(number, target)
        match = "yes" if predicted == target else "no"
        row = (
            rf"\b{number + 1} {re.escape(clock(onset / RATE_HZ))} {target} {target}: match "
            rf"{predicted} {confidence:.2f} 15/28 300 \d [^%]+ %\) {match}"
        )
        assert re.search(row, main_pdf.text), row
    right = sum(predicted_emotion(n, t) == t for n, (_a, _b, t) in enumerate(plan))
    assert f"{right} of {len(plan)} stimuli were predicted as their target" in main_pdf.text


def test_confusion_matrix_counts_the_misses(main_pdf: Pdf) -> None:
    plan = stimulus_plan(MAIN_DURATION_S)
    right = sum(predicted_emotion(n, t) == t for n, (_a, _b, t) in enumerate(plan))
    assert f"{right} of {len(plan)} stimuli predicted as their target" in main_pdf.text
    assert "predicted (dominant emotion per stimulus)" in main_pdf.text
    for emotion in EMOTIONS:
        assert f"n={sum(t == emotion for _a, _b, t in plan)}" in main_pdf.text


def test_events_validation_models_and_longitudinal(main_pdf: Pdf, report_db: ReportDb) -> None:
    plan = stimulus_plan(MAIN_DURATION_S)
    micro = sum(1 for n in range(len(plan)) if n % 3 == 0)
    assert f"{len(plan)} expressions ({micro} micro-expressions" in main_pdf.text
    assert "AU12 10 9 8 0.80 0.89 0.84 40" in main_pdf.text
    assert "sync marker 0x0400 at 2.000 s" in main_pdf.text
    assert "cnn-window-10x8-d5624483e4ab" in main_pdf.text
    assert "shipped as models/cnn_window.card.json" in main_pdf.text
    assert "leave-one-participant-out" in main_pdf.text
    temperature = shipped_card("cnn_window")["probability_calibration"]["temperature"]
    assert f"temperature-scaled (T = {temperature:.2f}" in main_pdf.text
    assert "evidence accumulated over time (sticky-hmm)" in main_pdf.text
    assert f"Session {report_db.earlier} Session {report_db.main} (this)" in main_pdf.text


def test_interrupted_session_says_so_and_explains_what_is_missing(interrupted_pdf: Pdf) -> None:
    first = interrupted_pdf.pages[0]
    assert "This session was INTERRUPTED" in first
    assert all("INTERRUPTED" in page for page in interrupted_pdf.pages)
    for what in ("Electrode check", "Calibration", "Confusion matrix", "Models", "AU validation"):
        assert f"{what}: not available." in interrupted_pdf.text, what
    assert "No stimulus was presented" in interrupted_pdf.text
    assert "Expressions were not analysed" in interrupted_pdf.text


def test_longitudinal_page_only_when_there_are_earlier_sessions(
    report_db: ReportDb, tmp_path: Path, main_pdf: Pdf
) -> None:
    assert "Longitudinal" in main_pdf.text
    for session in (report_db.earlier, report_db.lone):
        pdf = make_report(report_db.path, session, tmp_path / f"s{session}.pdf")
        assert "Longitudinal" not in pdf.text


def test_live_expressions_and_an_empty_detection_are_reported_as_such(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    burst = Activation(0, 500, 560, 530, 321.0, None)
    expression = Expression(
        rate_hz=float(RATE_HZ),
        onset_index=500,
        offset_index=560,
        apex_index=530,
        activations=(burst,),
        action_units=("AU12",),
        kind="micro",
        emotion=None,
        confidence=0.0,
    )
    with SessionStore.open(db) as store:
        person = store.create_participant("P-BURSTS1")
        sid, _ = add_session(store, person.id, duration_s=8.0, seed=1, simulated=True)
        store.save_expressions(sid, [expression], "live")
    live = make_report(db, sid, tmp_path / "live.pdf")
    assert "1 expressions (1 micro-expressions of at most 500 ms, 0 longer), from the live" in (
        live.text
    )
    assert "321 ct" in live.text
    assert "SIMULATED: this session was recorded from the simulated board" in live.pages[0]
    assert all("SIMULATED" in page for page in live.pages)
    with SessionStore.open(db) as store:
        store.save_expressions(sid, [], "offline")
    empty = make_report(db, sid, tmp_path / "empty.pdf")
    assert "Expression detection ran (offline) and found no expression" in empty.text


def test_report_is_audit_logged_with_its_hash(main_pdf: Pdf, report_db: ReportDb) -> None:
    with SessionStore.open(report_db.path) as store:
        entries = [e for e in store.audit_entries(report_db.main) if e["action"] == "report"]
        assert store.verify_audit_chain() is None
    digest = hashlib.sha256(main_pdf.result.path.read_bytes()).hexdigest()
    assert any(digest in entry["detail"] for entry in entries)


def test_timeline_splits_a_long_session_into_rows(report_db: ReportDb, tmp_path: Path) -> None:
    template = tmp_path / "rows.toml"
    template.write_text('timeline_minutes_per_row = 0.5\nsections = ["timeline"]\n')
    pdf = make_report(report_db.path, report_db.main, tmp_path / "rows.pdf", template=template)
    rows = int(MAIN_DURATION_S / 30)
    assert f"(row {rows} of {rows})" in pdf.text and "Page 1 of" in pdf.text
