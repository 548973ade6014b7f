"""Labelled CSV tables: any label set, neutral as a class, float values, units, the sidecar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.cli import main
from microexp_tui.errors import InputError
from microexp_tui.training.classes import ClassPlan
from microexp_tui.training.commands import DatasetReading, load_dataset
from microexp_tui.training.dataset import cut_windows
from microexp_tui.training.seed import load_csv_dataset
from tests.training.simulated import feature_dataset, seed_in_physical_units


def test_a_float_feature_set_in_the_seed_layout_has_seven_classes_and_standardises(
    tmp_path: Path,
) -> None:
    folder = feature_dataset(tmp_path / "features", participants=3, trials_per_class=5)
    dataset = load_csv_dataset(folder)
    assert dataset.participants == ["p01", "p02", "p03"]
    assert dataset.labels[0] == "neutral" and len(dataset.labels) == 7 and dataset.has_neutral
    assert {c.unit for c in dataset.channels} == {"a.u."}  # floats: no unit declared
    assert dataset.normalisation.method == "participant-standardise"
    assert dataset.normalisation.log_channels == (True,) * 8  # power: positive, heavy-tailed
    assert all(r.calibration is None for r in dataset.recordings)
    plan = ClassPlan.for_dataset(dataset, dataset.normalisation.method)
    assert plan.neutral_mode == "class" and plan.network_classes == dataset.labels
    windows = cut_windows(dataset, 1, 1)
    assert len(windows) == 3 * 7 * 5 and np.bincount(windows.y).tolist() == [15] * 7
    per_person = windows.x[windows.participant == 0, 0, :]
    assert np.allclose(np.median(per_person, axis=0), 0.0, atol=1e-6)  # centred on themselves


def test_physical_units_from_the_sidecar_and_gains_standardise_away(
    seed_dir: Path, tmp_path: Path
) -> None:
    folder = seed_in_physical_units(seed_dir, tmp_path / "uv", ["subject_01"], rows_every=20)
    (folder / "dataset.toml").write_text('unit = "uV"\nsensor_kind = "envelope"\n')
    dataset = load_csv_dataset(folder)
    assert [c.unit for c in dataset.channels] == ["uV"] * 8
    assert dataset.channels[0].muscle == "Zygomaticus major"  # the seed layout's montage
    negative = (dataset.recordings[0].rows <= 0).any(axis=0)
    assert negative.any()  # a negative offset pushes resting values below 0 ...
    flags = np.asarray(dataset.normalisation.log_channels)
    assert not flags[negative].any()  # ... and such a channel is never log-transformed
    assert dataset.labels[1:] == ("happy", "surprise", "disgust", "sadness", "fear", "anger")
    assert ClassPlan.for_dataset(dataset, dataset.normalisation.method).neutral_mode == "none"


def test_a_participant_column_and_declared_channels(tmp_path: Path) -> None:
    lines = ["who,trial,label,zyg,corr,extra"]
    for i in range(12):
        lines.append(f"{'AB'[i % 2]},{i},{['rest', 'joy', 'frown'][i % 3]},{i + 1.5},{2 * i},x")
    (tmp_path / "all.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "dataset.toml").write_text(
        'label_column = "label"\nparticipant_column = "who"\nneutral_label = "rest"\n'
        'unit = "mV"\nnormalisation = "standardise"\n'
        '[[channel]]\ncolumn = "zyg"\nmuscle = "Zygomaticus major"\nlog = true\n'
        '[[channel]]\ncolumn = "corr"\nmuscle = "Corrugator supercilii"\nunit = "uV"\n'
    )
    dataset = load_dataset(tmp_path / "all.csv", participants=["B"])
    assert dataset.participants == ["B"] and dataset.kind == "csv"
    assert dataset.labels == ("neutral", "joy", "frown")  # "rest" is the neutral label
    assert [(c.name, c.muscle, c.unit) for c in dataset.channels] == [
        ("zyg", "Zygomaticus major", "mV"),
        ("corr", "Corrugator supercilii", "uV"),
    ]
    assert dataset.normalisation.log_channels == (True, False)
    rows = dataset.recordings[0].rows
    assert rows.shape == (6, 2) and rows[0, 0] == pytest.approx(2.5)


def test_options_override_the_sidecar(tmp_path: Path) -> None:
    (tmp_path / "p1.csv").write_text("label,a,b\nneutral,1,2\nhappy,3,4\n")
    (tmp_path / "dataset.toml").write_text('unit = "uV"\n')
    reading = DatasetReading(unit="mV", normalisation="standardise", sensor_kind="raw")
    dataset = load_dataset(tmp_path, reading=reading)
    assert [(c.unit, c.sensor_kind) for c in dataset.channels] == [("mV", "raw")] * 2
    assert dataset.normalisation.method == "participant-standardise"


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ('units = "uV"\n', r"dataset\.toml.*units"),
        ('sensor_kind = "emg"\n', "must be one of envelope, raw"),
        ('[[channel]]\ncolumn = "nope"\n', "line 1: no column nope"),
        ('normalisation = "range"\nunit = "uV"\n', "Range normalisation needs ADC-count"),
    ],
)
def test_bad_sidecars_and_declarations_are_explained(
    tmp_path: Path, sidecar: str, message: str
) -> None:
    (tmp_path / "p1.csv").write_text("label,a\nneutral,1\nhappy,3\n")
    (tmp_path / "dataset.toml").write_text(sidecar)
    with pytest.raises(InputError, match=message):
        load_csv_dataset(tmp_path)


def test_files_with_different_channels_are_refused(tmp_path: Path) -> None:
    (tmp_path / "p1.csv").write_text("label,a,b\nhappy,1,2\n")
    (tmp_path / "p2.csv").write_text("label,a,c\nhappy,1,2\n")
    with pytest.raises(InputError, match="every file of a dataset needs the same channels"):
        load_csv_dataset(tmp_path)


def test_the_cli_reports_a_bad_csv_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p1.csv").write_text("label,a\nhappy,1\nsad,oops\n")
    code = main(["evaluate", "--model", "models/cnn_window.onnx", "--dataset", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and "line 3: column a is 'oops'" in err and "Traceback" not in err


def test_the_documented_example_sidecar_is_valid() -> None:
    from microexp_tui.training.dataset_file import read_sidecar

    example = Path(__file__).resolve().parents[2] / "templates" / "training" / "dataset.toml"
    declared = read_sidecar(example)
    assert declared.unit == "uV^2" and [c.column for c in declared.channels] == ["s1", "s2"]
    assert declared.channels[0].log is True and declared.neutral_label == "neutral"


def test_a_subject_column_names_the_participants_without_a_sidecar(tmp_path: Path) -> None:
    rows = [f"{s},{label},{v},{v * 2}" for s in ("s1", "s2") for v, label in
            ((1.5, "neutral"), (4.25, "happy"), (2.0, "neutral"))]  # fmt: skip
    (tmp_path / "all.csv").write_text("subject,label,a,b\n" + "\n".join(rows) + "\n")
    dataset = load_csv_dataset(tmp_path, participants=["S2"])
    assert dataset.participants == ["s2"] and dataset.recordings[0].rows.shape == (3, 2)
    assert [c.name for c in dataset.channels] == ["a", "b"]


@pytest.mark.usefixtures("train_extra")
def test_loso_with_one_participant_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p1.csv").write_text("label,a\nneutral,1.5\nhappy,3.5\n")
    argv = ["train", "--dataset", str(tmp_path), "--arch", "cnn", "--input", "sample",
            "--protocol", "loso", "--out", str(tmp_path / "out"), "--quiet"]  # fmt: skip
    assert main(argv) != 0
    assert "--protocol loso needs at least two participants" in capsys.readouterr().err


def test_a_trailing_comma_on_every_line_is_not_a_channel(tmp_path: Path) -> None:
    (tmp_path / "p1.csv").write_text("label,a,b,\nneutral,1.5,2,\nHappy ,3,4,\n")
    dataset = load_csv_dataset(tmp_path)
    assert [c.name for c in dataset.channels] == ["a", "b"]
    assert dataset.labels == ("neutral", "happy")  # labels are trimmed and case-folded
