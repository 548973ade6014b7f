"""Training on a simulated 8-electrode, 7-class (neutral included) feature set, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microexp_tui.cli import main
from microexp_tui.errors import ExitCode
from microexp_tui.inference.model import EmotionModel
from tests.inference.conftest import MODELS_DIR
from tests.training.simulated import feature_dataset, seed_in_physical_units

pytestmark = pytest.mark.usefixtures("train_extra")


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four participants, 12 trials per class, average-power features in the seed layout."""
    return feature_dataset(tmp_path_factory.mktemp("features"), participants=4, trials_per_class=12)


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    """The JSON report the command printed."""
    return json.loads(capsys.readouterr().out)


def test_loso_on_a_feature_set_with_neutral_exports_a_seven_class_model(
    features: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "--dataset", str(features), "--arch", "cnn", "--input", "sample",
            "--protocol", "loso", "--hold-out", "p04", "--epochs", "15", "--quiet",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    report = _json(capsys)
    assert report["protocol_name"] == "leave-one-participant-out"
    metrics = report["metrics"]
    assert {"accuracy", "macro_f1", "uar", "confusion_matrix"} <= set(metrics)
    matrix = metrics["confusion_matrix"]
    assert matrix["classes"][0] == "neutral" and len(matrix["classes"]) == 7
    assert sum(map(sum, matrix["counts"])) == metrics["windows"] == 4 * 7 * 12
    assert metrics["per_class"]["neutral"]["support"] == 4 * 12
    assert metrics["uar"] > 0.5  # well above chance (1/7) for people never seen in training

    model = EmotionModel.load(tmp_path / "cnn_sample.onnx")
    card = model.card
    assert card.classes == card.output_classes and card.classes[0] == "neutral"
    assert len(card.classes) == 7 and card.gate is None
    assert card.normalisation.method == "participant-standardise"
    assert card.normalisation.log_channels == (True,) * 8
    assert {c.unit for c in card.channels} == {"a.u."}
    assert card.raw["neutral"]["mode"] == "class"
    assert card.raw["preprocessing"]["units"] == ["a.u."] * 8
    default = card.raw["normalisation"]["default_standardisation"]
    live = card.normalise(np.full((1, 8), 4.0))  # what live and reprocess feed the model
    expected = (np.log(4.0) - np.asarray(default["centre"])) / np.asarray(default["scale"])
    np.testing.assert_allclose(live[0], expected, rtol=1e-5)

    assert main(["evaluate", "--model", str(tmp_path / "cnn_sample.onnx"), "--dataset",
                 str(features), "--participants", "p04"]) == 0  # fmt: skip
    evaluated = _json(capsys)
    assert evaluated["protocol_name"] == "held-out evaluation"
    held = report["model"]["held_out"]["metrics"]
    for key in ("windows", "correct", "accuracy", "macro_f1", "uar"):
        assert evaluated["metrics"][key] == held[key], key


def test_the_shipped_counts_model_refuses_feature_data(
    features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["evaluate", "--model", str(MODELS_DIR / "cnn_window.onnx"), "--dataset", str(features)]
    assert main(argv) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert "channel 1 (Zygomaticus major) is in a.u. but model" in err and "counts" in err


def test_a_row_split_reports_its_protocol_by_name(
    features: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "--dataset", str(features), "--arch", "lstm", "--input", "sample",
            "--protocol", "split", "--epochs", "1", "--quiet", "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    report = _json(capsys)
    assert report["protocol_name"] == "row split" and "uar" in report["metrics"]
    assert report["dataset"]["classes"][0] == "neutral"


def test_the_seed_data_in_microvolts_with_other_gains_still_generalises(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = ["subject_01", "subject_02", "subject_03"]
    folder = seed_in_physical_units(seed_dir, tmp_path / "uv", people, seed=1)
    argv = ["train", "--dataset", str(folder), "--units", "uV", "--arch", "cnn", "--input",
            "window", "--protocol", "loso", "--epochs", "3", "--quiet",
            "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 0
    report = _json(capsys)
    assert report["dataset"]["normalisation"]["method"] == "participant-standardise"
    assert report["dataset"]["units"] == ["uV"] * 8
    assert report["protocol_name"] == "leave-one-participant-out"
    assert report["metrics"]["uar"] > 0.9  # gains x0.4..x2.5 and offsets do not matter
    card = EmotionModel.load(tmp_path / "out" / "cnn_window.onnx").card
    assert card.output_classes == card.classes and "neutral" not in card.classes
    assert card.raw["neutral"]["mode"] == "none"
