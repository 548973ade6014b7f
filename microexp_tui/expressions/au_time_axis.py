"""Each frame's time in an AU file: `timestamp`, else `frame` / --au-fps, else `approx_time`.

OpenFace writes `timestamp` (seconds) for videos. py-feat writes no timestamp: older versions
number the frames (`frame`, the video's frame index), newer ones add `approx_time` ("MM:SS"),
which has one-second resolution. A file made from still images has no time axis at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError
from microexp_tui.expressions.au_csv_cells import ColumnCells, numeric_column, text_column
from microexp_tui.expressions.au_layout import AuLayout

APPROX_TIME_RESOLUTION_S = 1.0
"""py-feat's `approx_time` is whole seconds ("MM:SS")."""
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".heic")


@dataclass(frozen=True)
class TimeAxis:
    """Frame times (s) of the chosen rows, where they came from, and what to warn about."""

    times_s: npt.NDArray[np.float64]
    source: str
    resolution_s: float | None
    """Coarsest step of the times when they are rounded (approx_time), else None."""
    warnings: tuple[str, ...]


def check_video(source: str, layout: AuLayout, cells: ColumnCells) -> None:
    """Refuse a file of still images (py-feat's `input` names image files): no time axis."""
    if layout.has("input"):
        inputs = text_column(cells.cells[layout.named["input"]])
        if inputs and all(name.lower().endswith(_IMAGE_SUFFIXES) for name in inputs):
            raise InputError(
                f"{source} codes still images (`input` column: {inputs[0]}), not a video: it "
                "has no time axis to align with the session. Run the AU tool on the video "
                "recorded with the session."
            )


def check_several_frames(source: str, axis: TimeAxis, lines: list[int]) -> None:
    """Refuse a single frame: one picture has no time axis to align."""
    if axis.times_s.size == 1:
        raise InputError(
            f"{source} has a single frame (line {lines[0]}): one picture has no time axis to "
            "align with the session. Run the AU tool on the video recorded with the session."
        )


def time_axis(
    source: str,
    layout: AuLayout,
    cells: ColumnCells,
    rows: npt.NDArray[np.intp],
    fps: float | None,
) -> TimeAxis:
    """The times of the chosen `rows`, from the best time column the file has."""
    lines = [cells.lines[row] for row in rows]
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise InputError(f"--au-fps {fps:g}: give the video's frame rate, a positive number.")
    if layout.has("timestamp"):
        warnings: tuple[str, ...] = ()
        if fps is not None:
            warnings = ("--au-fps is not used: the file's `timestamp` column gives frame times.",)
        times = _numbers(source, layout, cells, "timestamp", rows, lines)
        return TimeAxis(times, "`timestamp`", None, warnings)
    if layout.has("frame") and fps is not None:
        frames = _numbers(source, layout, cells, "frame", rows, lines)
        return TimeAxis(frames / fps, f"`frame` / {fps:g} fps (--au-fps)", None, ())
    if layout.has("approx_time"):
        text = text_column(cells.cells[layout.named["approx_time"]])
        times = np.array([_clock_seconds(source, text[row], cells.lines[row]) for row in rows])
        hint = " Give the video's frame rate with --au-fps FPS for frame times." * layout.has(
            "frame"
        )
        warning = (
            "the AU file's times come from `approx_time`, which has one-second resolution: "
            "AU onsets are placed to the second and frames within a second are merged." + hint
        )
        return TimeAxis(times, "`approx_time`", APPROX_TIME_RESOLUTION_S, (warning,))
    if layout.has("frame"):
        raise InputError(
            f"{source} numbers its frames (`frame`) but has no time column (no `timestamp` or "
            "`approx_time`): give the video's frame rate with --au-fps FPS, so frame N is at "
            "N / FPS seconds."
        )
    raise InputError(
        f"{source} has no time axis: no `timestamp`, `frame` or `approx_time` column (found: "
        f"{layout.describe_columns()}). AU validation needs the time of each video frame: "
        "OpenFace writes `timestamp` for videos, py-feat writes `frame` (use --au-fps) and, "
        "in newer versions, `approx_time`."
    )


def check_time_order(source: str, axis: TimeAxis, lines: list[int], face_id: int | None) -> None:
    """Frame times must increase (or, when rounded, never decrease); the first offender named."""
    steps = np.diff(axis.times_s)
    bad = np.flatnonzero(steps < 0 if axis.resolution_s is not None else steps <= 0)
    if bad.size == 0:
        return
    at = int(bad[0])
    whose = f"face {face_id}'s" if face_id is not None else "the"
    raise InputError(
        f"{source} line {lines[at + 1]}: time {axis.times_s[at + 1]:g} s (from "
        f"{axis.source}) does not follow {axis.times_s[at]:g} s on line {lines[at]}; "
        f"{whose} frames must be in time order. If the file joins the results of several "
        "videos, give one video's file."
    )


def _numbers(
    source: str,
    layout: AuLayout,
    cells: ColumnCells,
    name: str,
    rows: npt.NDArray[np.intp],
    lines: list[int],
) -> npt.NDArray[np.float64]:
    """A time column of the chosen rows; an empty cell there names its line."""
    index = layout.named[name]
    values = numeric_column(source, layout.header[index], cells.cells[index], cells.lines)[rows]
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        raise InputError(
            f"{source} line {lines[int(missing[0])]}: column `{layout.header[index]}` is "
            "empty; every frame needs its time."
        )
    return values


def _clock_seconds(source: str, text: str, line: int) -> float:
    """ "MM:SS" or "HH:MM:SS" (seconds may have a fraction) as seconds."""
    parts = text.split(":")
    try:
        if not 2 <= len(parts) <= 3:
            raise ValueError(text)
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
        if not np.isfinite(seconds) or seconds < 0:
            raise ValueError(text)
    except ValueError:
        raise InputError(
            f"{source} line {line}, column `approx_time`: {text!r} is not a time like "
            '"MM:SS" or "HH:MM:SS".'
        ) from None
    return seconds
