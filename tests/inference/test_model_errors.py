"""A missing, corrupt or mismatched model or card gives a clear ModelError, never a crash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.errors import ExitCode, ModelError
from microexp_tui.inference.card import card_path_for
from microexp_tui.inference.model import EmotionModel


def _edit_card(model: Path, change: dict[str, object]) -> None:
    card_path = card_path_for(model)
    card = json.loads(card_path.read_text())
    for dotted, value in change.items():
        target = card
        *parents, last = dotted.split(".")
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    card_path.write_text(json.dumps(card))


def test_the_shipped_pair_loads(model_copy: Path) -> None:
    model = EmotionModel.load(model_copy)
    assert model.card.window_rows == 10 and len(model.card.channels) == 8


def test_a_missing_model_or_card_is_explained(model_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="No model file"):
        EmotionModel.load(tmp_path / "absent.onnx")
    card_path_for(model_copy).unlink()
    with pytest.raises(ModelError, match="No model card"):
        EmotionModel.load(model_copy)


def test_a_damaged_file_does_not_match_its_card(model_copy: Path) -> None:
    data = bytearray(model_copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_copy.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its card"):
        EmotionModel.load(model_copy)


def test_a_corrupt_onnx_file_with_a_matching_card_is_refused(model_copy: Path) -> None:
    garbage = b"this is not an onnx protobuf" * 50
    model_copy.write_bytes(garbage)
    _edit_card(model_copy, {"onnx_sha256": hashlib.sha256(garbage).hexdigest()})
    with pytest.raises(ModelError, match="not a usable ONNX model"):
        EmotionModel.load(model_copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input.window_rows": 20}, "the card belongs to another model"),
        ({"classes": ["happy", "anger"]}, "the card belongs to another model"),
        ({"classes": ["happy", "happy"]}, "field 'classes'"),  # any distinct names
        ({"input.window_rows": None}, "field 'input.window_rows' is missing"),
        ({"format": "v0"}, "field 'format'"),
        ({"neutral.low": 0.5}, "low < high"),
        ({"normalisation.default_calibration.max_counts": [1, 2]}, "default_calibration"),
    ],
)
def test_a_card_that_does_not_describe_the_file_is_refused(
    model_copy: Path, change: dict[str, object], message: str
) -> None:
    _edit_card(model_copy, change)
    with pytest.raises(ModelError, match=message):
        EmotionModel.load(model_copy)


def test_a_card_that_is_not_json_is_refused(model_copy: Path) -> None:
    card_path_for(model_copy).write_text("{ not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        EmotionModel.load(model_copy)


def test_the_cli_reports_a_corrupt_model_without_a_traceback(
    model_copy: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_copy.write_bytes(b"\x00" * 100)
    code = main(["evaluate", "--model", str(model_copy), "--dataset", str(seed_dir)])
    err = capsys.readouterr().err
    assert code == ExitCode.MODEL
    assert err.startswith("error: ") and "does not match its card" in err
    assert "Traceback" not in err
