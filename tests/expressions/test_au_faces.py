"""Multi-face AU files: OpenFace FaceLandmarkVidMulti's `face_id`, --face-id, py-feat's repeats.

The files are written here with OpenFace's real column layout (space-padded header, one row
per tracked face and frame, faces in `face_id` order within a frame).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.errors import InputError
from microexp_tui.expressions.au_import import AuReadOptions, au_events, read_au_csv

FPS = 30.0
HEADER = "frame, face_id, timestamp, confidence, success, AU06_r, AU12_r, AU06_c, AU12_c"


def face_row(frame: int, face_id: int, smile: bool, success: int = 1) -> str:
    """One OpenFace row: a smile is AU6 + AU12 present with intensity 2.5."""
    on = int(smile)
    r = 2.5 if smile else 0.2
    return f"{frame}, {face_id}, {(frame - 1) / FPS:.3f}, 0.95, {success}, {r}, {r}, {on}, {on}"


def write_multiface(path: Path, frames: int = 60) -> Path:
    """Three faces: 0 smiles in frames 11-20 (all frames), 1 smiles in 31-40 (all frames,
    but untracked in the first 5), 2 appears in frames 1-9 only and smiles throughout."""
    rows = [HEADER]
    for frame in range(1, frames + 1):
        rows.append(face_row(frame, 0, 11 <= frame <= 20))
        rows.append(face_row(frame, 1, 31 <= frame <= 40, success=int(frame > 5)))
        if frame < 10:
            rows.append(face_row(frame, 2, True))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def spans(path: Path, options: AuReadOptions) -> list[tuple[str, int, int]]:
    """AU events as (AU, onset frame, offset frame) on 1-based frames."""
    events = au_events(read_au_csv(path, options))
    return [
        (e.action_unit, round(e.onset_s * FPS) + 1, round(e.offset_s * FPS) + 1) for e in events
    ]


def test_default_is_the_face_tracked_in_most_frames_and_says_so(tmp_path: Path) -> None:
    path = write_multiface(tmp_path / "multi.csv")
    table = read_au_csv(path)
    assert table.face is not None
    assert (table.face.face_id, table.face.face_count, table.face.tracked_frames) == (0, 3, 60)
    assert "face 0 of 3 (tracked in most frames; 60 tracked frames)" in table.describe()
    assert spans(path, AuReadOptions()) == [("AU6", 11, 21), ("AU12", 11, 21)]


def test_face_id_picks_another_face(tmp_path: Path) -> None:
    path = write_multiface(tmp_path / "multi.csv")
    table = read_au_csv(path, AuReadOptions(face_id=1))
    assert table.face is not None and table.face.chosen_by == "--face-id"
    assert table.face.tracked_frames == 55
    assert spans(path, AuReadOptions(face_id=1)) == [("AU6", 31, 41), ("AU12", 31, 41)]


def test_a_face_that_leaves_ends_its_events_at_its_last_frame(tmp_path: Path) -> None:
    path = write_multiface(tmp_path / "multi.csv")
    table = read_au_csv(path, AuReadOptions(face_id=2))
    assert table.timestamps_s.size == 9
    assert spans(path, AuReadOptions(face_id=2)) == [("AU6", 1, 10), ("AU12", 1, 10)]


def test_a_face_leaving_and_returning_splits_its_events(tmp_path: Path) -> None:
    rows = [HEADER]
    rows += [face_row(frame, 4, True) for frame in (*range(1, 11), *range(21, 31))]
    path = tmp_path / "gap.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert spans(path, AuReadOptions())[:2] == [("AU6", 1, 11), ("AU12", 1, 11)]
    assert spans(path, AuReadOptions())[2:] == [("AU6", 21, 31), ("AU12", 21, 31)]


def test_an_unknown_face_id_lists_the_faces(tmp_path: Path) -> None:
    path = write_multiface(tmp_path / "multi.csv")
    with pytest.raises(InputError) as refused:
        read_au_csv(path, AuReadOptions(face_id=7))
    message = str(refused.value)
    assert "--face-id 7" in message and "0: 60, 1: 55, 2: 9" in message


def test_single_face_openface_without_face_id_column(tmp_path: Path) -> None:
    text = "frame, timestamp, success, AU12_c\n1, 0.0, 1, 1\n2, 0.033, 1, 0\n3, 0.067, 1, 1\n"
    path = tmp_path / "of20.csv"
    path.write_text(text, encoding="utf-8")
    table = read_au_csv(path, AuReadOptions(face_id=0))
    assert table.face is not None and table.face.face_count == 1 and table.face.face_id is None
    with pytest.raises(InputError, match="no `face_id` column, so it holds one face"):
        read_au_csv(path, AuReadOptions(face_id=1))


def test_pyfeat_rows_of_several_faces_in_a_frame_are_refused_truthfully(tmp_path: Path) -> None:
    text = "frame,FaceScore,AU12,input\n0,0.99,0.9,v.mp4\n1,0.98,0.8,v.mp4\n1,0.97,0.1,v.mp4\n"
    path = tmp_path / "feat_multi.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_au_csv(path, AuReadOptions(fps=30.0))
    message = str(refused.value)
    assert "frame 1 is on lines 3 and 4" in message
    assert "py-feat writes one row per face" in message and "one video per file" not in message


def test_face_times_out_of_order_name_the_face_and_line(tmp_path: Path) -> None:
    rows = [HEADER, face_row(1, 0, False), face_row(3, 0, False), face_row(2, 0, False)]
    path = tmp_path / "order.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_au_csv(path)
    message = str(refused.value)
    assert "line 4: time 0.033 s" in message and "face 0's frames must be in time order" in message


def test_pyfeat_frames_without_a_face_count_as_untracked(tmp_path: Path) -> None:
    rows = ["frame,FaceScore,AU12,input"]
    rows += [f"{k},0.99,0.9,v.mp4" if k not in (3, 4) else f"{k},,,v.mp4" for k in range(8)]
    path = tmp_path / "noface.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = read_au_csv(path, AuReadOptions(fps=FPS))
    np.testing.assert_array_equal(table.tracked, [k not in (3, 4) for k in range(8)])
    assert [(e.onset_s * FPS, e.offset_s * FPS) for e in au_events(table)] == [
        pytest.approx((0, 3)),
        pytest.approx((5, 8)),
    ]


@settings(max_examples=25, deadline=None)
@given(
    faces=st.integers(1, 4),
    frames=st.integers(2, 40),
    padding=st.integers(0, 300),
    seed=st.integers(0, 2**16),
)
def test_any_multiface_file_agrees_with_pandas(
    tmp_path_factory: pytest.TempPathFactory, faces: int, frames: int, padding: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    pads = [f"x_{i}" for i in range(padding)]
    header = ["frame", "face_id", "timestamp", "confidence", "success", *pads]
    header += ["AU06_r", "AU12_r", "AU06_c", "AU12_c"]
    rows = []
    for frame in range(1, frames + 1):
        for face in range(faces):
            if rng.random() < 0.2:
                continue  # this face is not in this frame
            success, confidence = int(rng.random() < 0.8), round(float(rng.random()), 2)
            values = [int(rng.integers(0, 2)) for _ in range(2)]
            cells: list[object] = [frame, face, f"{(frame - 1) / FPS:.3f}", confidence, success]
            cells += [f"{rng.normal(300, 50):.6g}" for _ in pads]
            cells += [2.5 * v for v in values]
            cells += values
            rows.append(", ".join(str(cell) for cell in cells))
    path = tmp_path_factory.mktemp("prop") / "multi.csv"
    path.write_text(", ".join(header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    expected = pd.read_csv(path, skipinitialspace=True)
    tracked = (expected["success"] >= 0.5) & (expected["confidence"] >= 0.5)
    per_face = tracked.groupby(expected["face_id"]).sum()
    chosen = int(per_face.idxmax())  # ties: the lowest face_id
    mine = expected["face_id"] == chosen
    if mine.sum() < 2:
        with pytest.raises(InputError, match="has a single frame"):
            read_au_csv(path)
        return
    table = read_au_csv(path)
    assert table.face is not None
    assert (table.face.face_id, table.face.face_count) == (chosen, per_face.size)
    np.testing.assert_allclose(table.timestamps_s, expected["timestamp"][mine].to_numpy())
    present = (expected["AU12_c"] >= 0.5) & tracked
    np.testing.assert_array_equal(table.presence["AU12"], present[mine].to_numpy())
