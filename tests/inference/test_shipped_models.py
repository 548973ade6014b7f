"""The shipped models: complete cards, small files, and their held-out accuracy recomputed.

Each shipped model was trained on subject_01..subject_12 only; its card records its accuracy
on subject_13..subject_15, which is recomputed here from the ONNX file and the shared seed
data (onnxruntime only) and must match exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.inference.card import card_path_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training.evaluate import evaluate_model
from microexp_tui.training.seed import content_hash, load_seed_folder
from tests.inference.conftest import MODELS_DIR, SHIPPED

ONE_MB = 1024 * 1024


def _card(name: str) -> dict[str, Any]:
    return json.loads(card_path_for(MODELS_DIR / f"{name}.onnx").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SHIPPED)
def test_card_describes_the_model_completely(name: str) -> None:
    path = MODELS_DIR / f"{name}.onnx"
    card = _card(name)
    assert path.stat().st_size < ONE_MB and card["onnx_bytes"] == path.stat().st_size
    assert card["classes"] == list(EMOTIONS) and card["output_classes"][0] == "neutral"
    assert [c["muscle"] for c in card["channels"]] == [m.name for m in SEED_MONTAGE]
    assert {c["sensor_kind"] for c in card["channels"]} == {"envelope"}
    assert card["input"]["rate_hz"] == 20.0 and card["input"]["window_rows"] == 10
    assert card["normalisation"]["function"].endswith("normalisation.normalise")
    assert len(card["normalisation"]["default_calibration"]["channels"]) == 8
    assert card["neutral"]["low"] < card["neutral"]["high"]
    training = card["training"]
    assert training["participants"] == [f"subject_{i:02d}" for i in range(1, 13)]
    assert training["held_out_participants"] == ["subject_13", "subject_14", "subject_15"]
    assert len(training["content_sha256"]) == 64 and "seed-format CSV" in training["data"]
    assert card["evaluation"]["protocol"] == "loso"
    assert card["evaluation"]["metrics"]["accuracy"] >= 0.99  # the LOSO target
    assert len(card["evaluation"]["per_participant"]) == 15
    assert card["export_check"]["max_abs_difference_onnx_vs_keras"] <= 1e-5
    assert {"tensorflow-cpu", "keras", "tf2onnx", "onnxruntime", "python"} <= set(card["versions"])
    assert card["created_at"].startswith("20")
    assert EmotionModel.load(path).model_id == card["model_id"]


@pytest.mark.parametrize("name", SHIPPED)
def test_card_training_hash_matches_the_shared_data(name: str, seed_dir: Path) -> None:
    training = _card(name)["training"]  # the hash covers every file of the loaded dataset
    people = sorted(training["participants"] + training["held_out_participants"])
    files = [seed_dir / f"{p}.csv" for p in people]
    assert content_hash(files) == training["content_sha256"]


@pytest.mark.parametrize("name", SHIPPED)
def test_held_out_accuracy_is_recomputed_from_the_onnx_file(name: str, seed_dir: Path) -> None:
    card = _card(name)
    held = card["held_out_evaluation"]
    dataset = load_seed_folder(seed_dir, held["participants"])
    result = evaluate_model(EmotionModel.load(MODELS_DIR / f"{name}.onnx"), dataset)
    for key in ("windows", "correct", "accuracy", "macro_f1", "uar"):
        assert result["metrics"][key] == held["metrics"][key], key
    assert result["per_participant"] == held["per_participant"]
    assert result["metrics"]["accuracy"] >= 0.99
