"""Seed-format CSV folders: participants, labels, blocks, calibration, and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.errors import InputError
from microexp_tui.training.dataset import LABELS, cut_windows, segment_bounds
from microexp_tui.training.seed import SEED_COLUMNS, load_seed_folder


def test_seed_folder_loads_one_recording_per_participant(seed_dir: Path) -> None:
    dataset = load_seed_folder(seed_dir, ["subject_01", "SUBJECT_02"])
    assert dataset.participants == ["subject_01", "subject_02"]
    first = dataset.recordings[0]
    assert first.rows.shape == (12_000, 8) and first.rows.dtype == np.float32
    blocks = segment_bounds(first.segments)
    assert [b - a for a, b in blocks] == [2000] * 6
    assert [LABELS[first.labels[a]] for a, _ in blocks] == list(LABELS[1:])
    assert [c.muscle for c in dataset.channels][:2] == ["Zygomaticus major", "Frontalis"]
    assert len(dataset.content_sha256) == 64
    calibration = first.calibration
    assert calibration is not None and first.labels.dtype == np.int16
    assert dataset.normalisation.method == "calibration-range"
    assert all(c.unit == "counts" for c in dataset.channels)
    assert all(10 < row.baseline < 50 for row in calibration.channels)
    assert all(380 < row.max_value < 470 for row in calibration.channels)  # peaks near 460


def test_windows_stay_inside_blocks_and_do_not_overlap(seed_dir: Path) -> None:
    dataset = load_seed_folder(seed_dir, ["subject_03"])
    windows = cut_windows(dataset, window_rows=10, stride_rows=10)
    assert len(windows) == 6 * 200
    assert windows.x.shape == (1200, 10, 8)
    assert np.all(windows.start_row % 2000 <= 1990)  # a window never crosses a block edge
    assert len(np.unique(windows.start_row)) == len(windows)
    assert np.bincount(windows.y).tolist() == [0] + [200] * 6


def test_the_same_folder_hashes_the_same(seed_dir: Path) -> None:
    first = load_seed_folder(seed_dir, ["subject_04"])
    again = load_seed_folder(seed_dir, ["subject_04"])
    other = load_seed_folder(seed_dir, ["subject_05"])
    assert first.content_sha256 == again.content_sha256 != other.content_sha256


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join([",".join(SEED_COLUMNS), *lines]) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1,happy,1,2,3,4,5,6,7,x8,x", "line 2: column s8 is 'x8', not a finite number"),
        ("1,happy,1,2,3,4,5,6,7,nan,x", "line 2: column s8 is 'nan', not a finite number"),
        ("1, ,1,2,3,4,5,6,7,8,x", "line 2: the label column emotion_label is empty"),
        ("1,happy,1,2,3", "line 2: expected 11 columns"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    _write(tmp_path / "p1.csv", [line])
    with pytest.raises(InputError, match=message):
        load_seed_folder(tmp_path)


def test_missing_folder_header_and_participants_are_explained(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        load_seed_folder(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no \.csv files"):
        load_seed_folder(tmp_path)
    (tmp_path / "p1.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: no label column 'emotion_label' or 'label'"):
        load_seed_folder(tmp_path)
    with pytest.raises(InputError, match="No CSV file for participant"):
        load_seed_folder(tmp_path, ["p9"])
