"""Which face of an AU file to use: OpenFace's `face_id` (--face-id N, else the most tracked).

OpenFace's FaceLandmarkVidMulti writes one row per tracked face and frame with a `face_id`;
FeatureExtraction 2.2 writes `face_id` 0 on every row and 2.0 writes no such column. py-feat
has no face identifier the reader could select by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError
from microexp_tui.expressions.au_layout import AuLayout, AuStyle


@dataclass(frozen=True)
class FaceChoice:
    """The face used, how many faces the file has, and why this one."""

    face_id: int | None
    """OpenFace `face_id` of the face used; None for a file without that column."""
    face_count: int
    tracked_frames: int
    chosen_by: str

    def describe(self) -> str:
        """E.g. "face 2 of 3 (tracked in most frames: 812)"."""
        if self.face_id is None:
            return f"one face ({self.tracked_frames} tracked frames)"
        return (
            f"face {self.face_id} of {self.face_count} ({self.chosen_by}; "
            f"{self.tracked_frames} tracked frames)"
        )


def choose_face(
    source: str,
    layout: AuLayout,
    face_ids: npt.NDArray[np.float64] | None,
    tracked: npt.NDArray[np.bool_],
    wanted: int | None,
) -> tuple[FaceChoice, npt.NDArray[np.intp]]:
    """The face to use and the row indexes that belong to it."""
    if face_ids is None:
        check_face_request(source, layout, wanted)
        rows = np.arange(tracked.size)
        return FaceChoice(None, 1, int(tracked.sum()), "the only face"), rows
    if np.isnan(face_ids).any():
        raise InputError(
            f"{source}: a row has an empty `face_id`; OpenFace writes one on every row. Check "
            "that the file is complete."
        )
    ids, inverse = np.unique(face_ids.astype(np.int64), return_inverse=True)
    tracked_per_face = np.bincount(inverse[tracked], minlength=ids.size)
    if wanted is None:
        chosen = int(np.argmax(tracked_per_face))  # ties: the lowest face_id
        chosen_by = "tracked in most frames"
    else:
        where = np.flatnonzero(ids == wanted)
        if where.size == 0:
            raise InputError(
                f"--face-id {wanted}: {source} has no such face; its faces (face_id: tracked "
                f"frames): {_face_list(ids, tracked_per_face)}."
            )
        chosen, chosen_by = int(where[0]), "--face-id"
    rows = np.flatnonzero(inverse == chosen)
    choice = FaceChoice(int(ids[chosen]), int(ids.size), int(tracked_per_face[chosen]), chosen_by)
    return choice, rows


def check_face_request(source: str, layout: AuLayout, wanted: int | None) -> None:
    """--face-id on a file without `face_id`: refused with the reason (0 on OpenFace is fine)."""
    if wanted is None or layout.has("face_id"):
        return
    if layout.style == "py-feat":
        raise InputError(
            f"--face-id {wanted}: {source} has py-feat's layout (bare `AUxx` columns), which "
            "has no `face_id` column to choose by; --face-id selects a face of an OpenFace "
            "file. Leave --face-id out for this file."
        )
    if wanted != 0:
        raise InputError(
            f"--face-id {wanted}: {source} has no `face_id` column, so it holds one face "
            "(face 0); leave --face-id out or give 0."
        )


def check_one_face_per_frame(
    source: str,
    style: AuStyle,
    frames: npt.NDArray[np.float64] | None,
    rows: npt.NDArray[np.intp],
    lines: list[int],
) -> None:
    """A `frame` number repeated without `face_id` means several faces the reader cannot tell."""
    if frames is None:
        return
    repeated = np.flatnonzero(np.diff(frames[rows]) == 0)
    if repeated.size == 0:
        return
    at = int(repeated[0])
    tool = (
        "py-feat writes one row per face it detects, so the video shows several faces then"
        if style == "py-feat"
        else "the file has several faces in one frame and no `face_id` column to tell them apart"
    )
    raise InputError(
        f"{source}: frame {frames[rows[at]]:g} is on lines {lines[at]} and {lines[at + 1]}; "
        f"{tool}. Faces can be chosen only by OpenFace's `face_id` (--face-id N): analyse "
        "a video that shows only the participant, or keep one face's rows."
    )


def _face_list(ids: npt.NDArray[np.int64], tracked: npt.NDArray[np.intp]) -> str:
    """ "0: 812, 1: 90" for a message."""
    return ", ".join(f"{int(i)}: {int(n)}" for i, n in zip(ids, tracked, strict=True))
