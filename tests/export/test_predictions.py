"""Model predictions leave as derivatives with a model card stripped of codes, paths and dates."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from microexp_tui.domain.recording import PredictionRecord
from microexp_tui.export import ExportReport, export_sessions, verify
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import PEOPLE, RATE_HZ, build_db, validate_bids, validator_errors

MODEL = "cnn-window-10x8-0123456789ab"
CLASSES = ("neutral", "happy", "anger")
ENDS = range(RATE_HZ // 2, 4 * RATE_HZ + 1, RATE_HZ // 4)


def _card() -> dict[str, object]:
    """A model card naming participants by code, a home folder and a creation time."""
    return {
        "format": "microexp-model-card/1",
        "model_id": MODEL,
        "created_at": "2026-03-05T10:11:12+00:00",
        "training": {
            "data": "session database /home/hvasquez/study/sessions.sqlite (sessions 1, 2)",
            "participants": [PEOPLE[0].code, PEOPLE[1].code],
            "held_out_participants": [PEOPLE[1].code],
        },
        "evaluation": {"per_participant_summary": {PEOPLE[0].code: {"accuracy": 0.9}}},
    }


@pytest.fixture(scope="module")
def with_predictions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A database where one session has a reprocess run of one model."""
    root = tmp_path_factory.mktemp("pred")
    built = build_db(root / "db.sqlite", duration_s=4.0)
    sid = built.session_ids[0]
    window = RATE_HZ // 2
    records = [
        PredictionRecord(MODEL, end, CLASSES[i % 3], 0.25 * (i % 4), (0.2, 0.5, 0.3))
        for i, end in enumerate(ENDS)
    ]
    with SessionStore.open(built.path) as store:
        store.start_prediction_run(
            sid,
            MODEL,
            kind="reprocess",
            classes=CLASSES,
            hop_ms=250.0,
            window_samples=window,
            model_card=_card(),
            records=records,
        )
    return built.path, sid


def _export(db: Path, out: Path, fmt: str) -> ExportReport:
    """Export every session of the predictions database."""
    return export_sessions(db, out, None, fmt, out.parent / "secret.key")


def test_bids_derivatives_hold_predictions_and_a_safe_card(
    with_predictions: tuple[Path, int], tmp_path: Path
) -> None:
    db, _ = with_predictions
    report = _export(db, tmp_path / "bids", "bids")
    base = report.out_dir / "derivatives" / "microexp-predictions"
    assert (
        json.loads((base / "dataset_description.json").read_text())["DatasetType"] == "derivative"
    )
    tables = list(base.rglob("*_predictions.tsv"))
    assert len(tables) == 1 and "_desc-cnnwindow10x80123456789ab_" in tables[0].name
    with tables[0].open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == len(ENDS) and rows[0]["onset"] == "0.0" and rows[0]["duration"] == "0.5"
    assert set(rows[0]) >= {"label", "activation", "p_neutral", "p_happy", "p_anger"}
    card = json.loads((base / "models" / "cnnwindow10x80123456789ab.card.json").read_text())
    subject = tables[0].name.split("_")[0]
    assert card["training"]["participants"][0] == subject
    assert card["created_at"] == "2026-03"
    assert "/home" not in card["training"]["data"] and "hvasquez" not in json.dumps(card)
    assert list(card["evaluation"]["per_participant_summary"]) == [subject]
    assert verify(report.out_dir).ok
    assert validator_errors(validate_bids(report.out_dir, "--recursive")) == []


def test_tabular_exports_carry_a_predictions_table(
    with_predictions: tuple[Path, int], tmp_path: Path
) -> None:
    db, _ = with_predictions
    report = _export(db, tmp_path / "pq", "parquet")
    frame = pd.read_parquet(report.out_dir / "predictions.parquet")
    assert len(frame) == len(ENDS) and set(frame["model_id"]) == {MODEL}
    assert frame["simulated"].eq(False).all()
    assert (report.out_dir / "models" / "cnnwindow10x80123456789ab.card.json").is_file()


def test_no_derivatives_without_predictions(tmp_path: Path) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=2.0)
    report = export_sessions(built.path, tmp_path / "out", None, "bids", tmp_path / "k")
    assert not (report.out_dir / "derivatives").exists()
