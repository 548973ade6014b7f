"""AU import on files the tools themselves wrote (../shared/datasets/au-real), checked by pandas.

pandas reads each file independently (`skipinitialspace` for OpenFace's padded header) and
is the oracle for which frames carry which AU; the reader must agree frame by frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from microexp_tui.errors import InputError
from microexp_tui.expressions.au_import import AuReadOptions, au_events, read_au_csv

AU_REAL = "au-real"


def real_file(datasets_dir: Path, name: str) -> Path:
    """One of the real AU files, read in place."""
    path = datasets_dir / AU_REAL / name
    assert path.exists(), f"{path} is missing from the shared datasets"
    return path


def oracle(path: Path) -> pd.DataFrame:
    """The file as pandas reads it, header names stripped."""
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def test_every_real_file_is_read_or_refused_with_a_reason(datasets_dir: Path) -> None:
    files = sorted((datasets_dir / AU_REAL).glob("*.csv"))
    assert len(files) >= 4
    for path in files:
        try:
            table = read_au_csv(path, AuReadOptions(fps=30.0))
        except InputError as refused:
            message = str(refused)
            assert str(path) in message and "no time axis" in message
            assert re.search(r"py-feat[^.;]*writes? `timestamp`", message) is None
            continue
        assert table.timestamps_s.size > 1 and np.all(np.diff(table.timestamps_s) > 0)
        assert au_events(table), f"{path.name}: no AU event in a real recording"


def test_openface_file_with_padded_header_agrees_with_pandas(datasets_dir: Path) -> None:
    path = real_file(datasets_dir, "openface2_OpenFace_Test.csv")
    table = read_au_csv(path)
    expected = oracle(path)
    assert table.style == "OpenFace" and table.time_source == "`timestamp`"
    assert table.face is not None and table.face.face_count == 1
    np.testing.assert_allclose(table.timestamps_s, expected["timestamp"].to_numpy())
    coded = {f"AU{int(name[2:4])}" for name in expected.columns if name.startswith("AU")}
    assert set(table.action_units) == coded
    tracked = (expected["success"] >= 0.5) & (expected["confidence"] >= 0.5)
    for au in table.action_units:
        column = f"AU{int(au[2:]):02d}_c"
        np.testing.assert_array_equal(table.presence[au], (expected[column] >= 0.5) & tracked)
    np.testing.assert_allclose(table.intensity["AU1"], expected["AU01_r"].to_numpy())


def test_pyfeat_frames_need_the_frame_rate_and_then_agree_with_pandas(datasets_dir: Path) -> None:
    path = real_file(datasets_dir, "pyfeat_tests_001.csv")
    with pytest.raises(InputError) as refused:
        read_au_csv(path)
    assert "--au-fps FPS" in str(refused.value) and "`frame`" in str(refused.value)
    table = read_au_csv(path, AuReadOptions(fps=24.0))
    expected = oracle(path)
    assert table.style == "py-feat" and "--au-fps" in table.time_source
    np.testing.assert_allclose(table.timestamps_s, expected["frame"].to_numpy() / 24.0)
    np.testing.assert_array_equal(table.presence["AU12"], expected["AU12"].to_numpy() >= 0.5)
    assert table.intensity == {}  # py-feat's AUxx are presence values, not OpenFace intensities


def test_pyfeat_approx_time_is_used_by_the_second_with_a_warning(datasets_dir: Path) -> None:
    path = real_file(datasets_dir, "pyfeat_news_sample_016.csv")
    table = read_au_csv(path)
    expected = oracle(path)
    seconds = expected["approx_time"].map(lambda t: 60 * int(t[:2]) + int(t[3:]))
    merged = f"({len(expected)} frames merged into {seconds.nunique()} whole seconds)"
    assert table.time_source == f"`approx_time` {merged}"
    assert any("one-second resolution" in w and "--au-fps" in w for w in table.warnings)
    np.testing.assert_array_equal(table.timestamps_s, np.unique(seconds.to_numpy()))
    by_second = (expected["AU12"] >= 0.5).groupby(seconds).any()
    np.testing.assert_array_equal(table.presence["AU12"], by_second.to_numpy())
    framed = read_au_csv(path, AuReadOptions(fps=30.0))
    assert framed.warnings == () and framed.timestamps_s.size == len(expected)
    np.testing.assert_allclose(framed.timestamps_s, expected["frame"].to_numpy() / 30.0)


def test_a_still_image_is_refused_as_having_no_time_axis(datasets_dir: Path) -> None:
    path = real_file(datasets_dir, "pyfeat_tests_Feat_Test.csv")
    for options in (AuReadOptions(), AuReadOptions(fps=30.0)):
        with pytest.raises(InputError) as refused:
            read_au_csv(path, options)
        message = str(refused.value)
        assert "still images" in message and "no time axis" in message
        assert "single_face.jpg" in message


def test_face_id_on_a_pyfeat_file_is_refused_with_the_reason(datasets_dir: Path) -> None:
    path = real_file(datasets_dir, "pyfeat_tests_001.csv")
    with pytest.raises(InputError) as refused:
        read_au_csv(path, AuReadOptions(face_id=0, fps=30.0))
    assert "py-feat's layout" in str(refused.value) and "OpenFace" in str(refused.value)
