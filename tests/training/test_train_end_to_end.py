"""Training end to end with the `train` extra: CLI, ONNX export equal to Keras, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from microexp_tui.cli import main
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training.commands import TrainOptions, train
from microexp_tui.training.dataset import cut_windows
from microexp_tui.training.progress import Progress
from microexp_tui.training.seed import load_seed_folder

pytestmark = pytest.mark.usefixtures("train_extra")


def test_train_command_exports_a_model_that_onnxruntime_reloads_and_uses(
    seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = ["subject_01", "subject_02", "subject_03"]
    code = main(
        ["train", "--dataset", str(seed_dir), "--arch", "cnn", "--input", "window",
         "--protocol", "loso", "--participants", *people, "--hold-out", "subject_03",
         "--epochs", "3", "--out", str(tmp_path)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert "fold 3/3 (test subject_03)" in captured.err  # progress on stderr
    assert json.loads((tmp_path / "cnn_window.train.json").read_text()) == report
    metrics = report["metrics"]
    assert {"accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(metrics)
    assert list(report["per_participant"]) == people and metrics["windows"] == 3 * 1200
    assert report["protocol"] == "loso" and report["model"]["trained_on"] == people[:2]

    model = EmotionModel.load(tmp_path / "cnn_window.onnx")
    assert model.card.raw["training"]["held_out_participants"] == ["subject_03"]
    held = cut_windows(load_seed_folder(seed_dir, ["subject_03"]), 10, 10)
    labels = model.classify(held.x).labels
    truth = [("neutral", *model.card.classes)[y] for y in held.y]
    accuracy = np.mean(np.asarray(labels) == np.asarray(truth))
    assert accuracy == pytest.approx(report["model"]["held_out"]["metrics"]["accuracy"], abs=1e-6)
    assert accuracy > 0.9


@pytest.mark.parametrize(
    ("arch", "mode"), [("cnn", "sample"), ("lstm", "sample"), ("cnn", "window"), ("lstm", "window")]
)
def test_onnx_output_equals_keras_output(
    arch: str, mode: str, seed_dir: Path, tmp_path: Path
) -> None:
    import keras

    options = TrainOptions(
        dataset=seed_dir, architecture=arch, input_mode=mode, protocol="split", out=tmp_path,
        epochs=1, participants=["subject_01"],
    )  # fmt: skip
    train(options, Progress(enabled=False))
    rows = 1 if mode == "sample" else 10
    x = cut_windows(load_seed_folder(seed_dir, ["subject_02"]), rows, rows).x[::3]
    reloaded = keras.saving.load_model(tmp_path / f"{arch}_{mode}.keras")
    keras_out = reloaded(x).numpy()
    session = ort.InferenceSession(str(tmp_path / f"{arch}_{mode}.onnx"))
    onnx_out = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert onnx_out.shape == (len(x), 6)
    np.testing.assert_allclose(onnx_out, keras_out, atol=1e-5, rtol=0)


def test_the_same_seed_gives_the_same_model(seed_dir: Path, tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        options = TrainOptions(
            dataset=seed_dir, architecture="lstm", input_mode="window", protocol="split",
            out=tmp_path / run, epochs=2, seed=7, participants=["subject_04"],
        )  # fmt: skip
        report = train(options, Progress(enabled=False))
        model = EmotionModel.load(tmp_path / run / "lstm_window.onnx")
        x = cut_windows(load_seed_folder(seed_dir, ["subject_05"]), 10, 10).x
        outputs.append((report["metrics"], model.model_probabilities(x)))
    assert outputs[0][0] == outputs[1][0]
    np.testing.assert_array_equal(outputs[0][1], outputs[1][1])
