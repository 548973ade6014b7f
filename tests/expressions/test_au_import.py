"""Reading OpenFace / py-feat AU CSV files: events from frames, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.errors import InputError
from microexp_tui.expressions.au_import import au_events, read_au_csv


def write(path: Path, text: str) -> Path:
    """Write a CSV fixture and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


def test_openface_padded_header_presence_runs_become_events(tmp_path: Path) -> None:
    rows = ["frame, face_id, timestamp, confidence, success, AU12_r, AU12_c, AU04_r, AU04_c"]
    presence_12 = [0, 1, 1, 0, 0, 1, 0, 0]
    presence_04 = [0, 0, 0, 0, 1, 1, 1, 1]
    for k in range(8):
        rows.append(
            f"{k + 1}, 0, {k * 0.04:.2f}, 0.97, 1, {2.5 * presence_12[k] + 0.1:.1f}, "
            f"{presence_12[k]}, {3.0 * presence_04[k]:.1f}, {presence_04[k]}"
        )
    table = read_au_csv(write(tmp_path / "of.csv", "\n".join(rows) + "\n"))
    assert table.action_units == ("AU4", "AU12")
    assert table.frame_period_s == pytest.approx(0.04)
    events = au_events(table)
    spans = [(e.action_unit, round(e.onset_s, 3), round(e.offset_s, 3)) for e in events]
    # AU4 runs to the last frame: its offset is one frame period after it.
    assert spans == [("AU12", 0.04, 0.12), ("AU4", 0.16, 0.32), ("AU12", 0.2, 0.24)]
    assert events[0].peak_intensity == pytest.approx(2.6)


def test_untracked_frames_do_not_count_as_present(tmp_path: Path) -> None:
    text = "timestamp,success,AU06_c\n0.0,1,1\n0.1,0,1\n0.2,1,1\n"
    events = au_events(read_au_csv(write(tmp_path / "a.csv", text)))
    assert [(e.onset_s, e.offset_s) for e in events] == [(0.0, 0.1), (0.2, pytest.approx(0.3))]


def test_intensity_only_uses_the_threshold_and_pyfeat_bare_columns_are_presence(
    tmp_path: Path,
) -> None:
    text = "timestamp,AU12_r,AU01\n0.0,0.5,0.9\n0.5,1.5,0.2\n1.0,0.2,0.7\n"
    events = au_events(read_au_csv(write(tmp_path / "p.csv", text)))
    assert [(e.action_unit, e.onset_s) for e in events] == [
        ("AU1", 0.0),
        ("AU12", 0.5),
        ("AU1", 1.0),
    ]
    assert events[0].peak_intensity is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        ("frame,AU12_r\n1,0.2\n2,0.3\n", "give the video's frame rate with --au-fps FPS"),
        ("face_id,confidence,AU12_r\n0,0.9,0.2\n0,0.9,0.3\n", "has no time axis"),
        ("timestamp,confidence\n0.0,0.9\n", "no action-unit columns"),
        ("timestamp,AU12_r\n", "no frames"),
        ("timestamp;AU12_r\n0.0;0.1\n", "separates its columns with ';'"),
        ("timestamp,AU12_r\n0.0,0.1\n0.04,high\n", "line 3, column `AU12_r`: 'high'"),
        ("timestamp,AU12_r\n0.0,0.1\n0.04\n", "line 3: 1 fields, the header has 2"),
        ("timestamp,AU12_r\n0.0,0.1\n0.04,0.2\n0.04,0.3\n", "line 4: time 0.04 s"),
        ("timestamp,AU12_r\n0.0,inf\n0.1,0.2\n", "line 2, column `AU12_r`: 'inf'"),
        ("timestamp,AU12_r\n0.0,0.1\n", "has a single frame (line 2)"),
        ("timestamp,AU12_r\n0.0,0.1\n,0.2\n", "line 3: column `timestamp` is empty"),
    ],
)
def test_malformed_files_name_the_column_or_row(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as caught:
        read_au_csv(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_and_binary_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Check the path"):
        read_au_csv(tmp_path / "nope.csv")
    binary = tmp_path / "video.mp4"
    binary.write_bytes(b"\x00\x00\x00\x18ftypmp42\xff\xfe")
    with pytest.raises(InputError, match="not a UTF-8 text CSV"):
        read_au_csv(binary)
