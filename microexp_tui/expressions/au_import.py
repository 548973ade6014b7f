"""Read video-coded action units from OpenFace 2.x / py-feat CSV files into AU events.

Columns are found by name pattern (`au_layout`), only the needed ones are read
(`au_csv_cells`), one face is chosen (`au_faces`) and each frame gets its time
(`au_time_axis`). An AU is active on a frame when its presence column says so (>= 0.5:
OpenFace's `AUxx_c`, py-feat's `AUxx`), or, with only an intensity column, when the
intensity reaches `INTENSITY_ON`. Frames the tool could not track (OpenFace `success` 0 or
low `confidence`, py-feat's empty cells where it found no face) count as "AU absent".
Consecutive active frames form one event from the first active frame's time to the next
frame's time; a break in the frames (a face that left the picture) ends an event.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.expressions import AuEvent
from microexp_tui.errors import InputError
from microexp_tui.expressions.au_csv_cells import Buffer, ColumnCells, numeric_column, read_cells
from microexp_tui.expressions.au_faces import (
    FaceChoice,
    check_face_request,
    check_one_face_per_frame,
    choose_face,
)
from microexp_tui.expressions.au_layout import AuLayout, AuStyle, au_layout, canonical_au
from microexp_tui.expressions.au_time_axis import (
    check_several_frames,
    check_time_order,
    check_video,
    time_axis,
)

__all__ = ["AuReadOptions", "AuTable", "au_events", "au_number", "canonical_au", "read_au_csv"]

INTENSITY_ON = 1.0
"""OpenFace intensity (0-5 scale) from which an AU counts as present without a `_c` column."""
PRESENCE_ON = 0.5
"""Presence value (0/1 in OpenFace, a probability in py-feat) from which an AU counts as present."""
MIN_TRACKING_CONFIDENCE = 0.5
"""OpenFace `confidence` under which a frame counts as untracked."""
GAP_FRAME_PERIODS = 1.5
"""A step between frames longer than this many frame periods is a break (no frames)."""


@dataclass(frozen=True)
class AuReadOptions:
    """How to read an AU file: which OpenFace face (None: most tracked), the video's fps."""

    face_id: int | None = None
    fps: float | None = None


@dataclass(frozen=True)
class AuTable:
    """Per-frame AU values of one face: times (s) and, per AU, presence and intensity."""

    source: str
    sha256: str
    timestamps_s: npt.NDArray[np.float64]
    tracked: npt.NDArray[np.bool_]
    presence: dict[str, npt.NDArray[np.bool_]]
    intensity: dict[str, npt.NDArray[np.float64]]
    style: AuStyle = "OpenFace"
    face: FaceChoice | None = None
    time_source: str = "`timestamp`"
    warnings: tuple[str, ...] = ()

    @property
    def action_units(self) -> tuple[str, ...]:
        """Action units the file codes, in numeric order."""
        return tuple(sorted(self.presence, key=au_number))

    @property
    def frame_period_s(self) -> float:
        """Median time between frames (the video's frame period)."""
        if self.timestamps_s.size < 2:
            return 0.0
        return float(np.median(np.diff(self.timestamps_s)))

    def describe(self) -> str:
        """One line on what was read: layout, face, frames and where their times came from."""
        face = f", {self.face.describe()}" if self.face is not None else ""
        return (
            f"AU file {self.source}: {self.style} layout{face}, {self.timestamps_s.size} frames, "
            f"times from {self.time_source}"
        )


def au_number(name: str) -> int:
    """The number of an action unit name: "AU12" -> 12."""
    return int(name[2:])


def read_au_csv(path: Path, options: AuReadOptions | None = None) -> AuTable:
    """Parse an OpenFace / py-feat CSV; a malformed file raises InputError naming column or row."""
    options = options or AuReadOptions()
    with _mapped(path) as raw, ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_sha256, raw)  # hashlib hashes without the GIL
        try:
            table = _parse(path, raw, options)
        finally:
            sha256 = digest.result()
    return replace(table, sha256=sha256)


def _sha256(raw: Buffer) -> str:
    """SHA-256 of the file's bytes, in hex."""
    return hashlib.sha256(raw).hexdigest()


def _parse(path: Path, raw: Buffer, options: AuReadOptions) -> AuTable:
    """The table of the file's bytes (without its hash)."""
    source = str(path)
    layout = au_layout(source, _header(path, raw))
    check_face_request(source, layout, options.face_id)
    cells = read_cells(source, raw, len(layout.header), _wanted(layout))
    if not cells.lines:
        raise InputError(f"{path} has a header but no frames.")
    check_video(source, layout, cells)
    values = _au_values(source, layout, cells)
    tracked = _tracked(source, layout, cells, values)
    face_ids = _optional_numbers(source, layout, cells, "face_id")
    face, rows = choose_face(source, layout, face_ids, tracked, options.face_id)
    lines = [cells.lines[row] for row in rows]
    if not layout.has("face_id"):
        frames = _optional_numbers(source, layout, cells, "frame")
        check_one_face_per_frame(source, layout.style, frames, rows, lines)
    axis = time_axis(source, layout, cells, rows, options.fps)
    check_several_frames(source, axis, lines)
    check_time_order(source, axis, lines, face.face_id)
    presence, intensity = _per_au(layout, values, tracked, rows)
    table = AuTable(
        source=source,
        sha256="",
        timestamps_s=axis.times_s,
        tracked=tracked[rows],
        presence=presence,
        intensity=intensity,
        style=layout.style,
        face=face,
        time_source=axis.source,
        warnings=axis.warnings,
    )
    return _merge_equal_times(table) if axis.resolution_s is not None else table


@contextmanager
def _mapped(path: Path) -> Iterator[Buffer]:
    """The file's bytes, memory-mapped (no copy of a large file); an unreadable path is named."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                yield b""
                return
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as err:
        raise InputError(
            f"cannot read the AU file {path}: {err.strerror or err}. Check the path."
        ) from err
    with mapped:
        yield mapped


def _header(path: Path, raw: Buffer) -> list[str]:
    """The header line's names; a binary or empty file is refused."""
    newline = raw.find(b"\n")
    first = bytes(raw[:newline] if newline >= 0 else raw[:])
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path} is not a UTF-8 text CSV (byte {err.start}); export the AUs from OpenFace "
            "or py-feat as CSV."
        ) from err
    names = text.rstrip("\r").split(",")
    if not any(name.strip() for name in names):
        raise InputError(f"{path} is empty; expected a header with time and AU columns.")
    separator = next((sep for sep in (";", "\t") if len(names) == 1 and sep in text), None)
    if separator is not None:
        raise InputError(
            f"{path} separates its columns with {separator!r}, not commas as OpenFace and "
            "py-feat write them (a spreadsheet may have re-saved it): use the tool's own CSV."
        )
    if '"' in text:
        names = [name.strip().strip('"') for name in names]
    return names


def _wanted(layout: AuLayout) -> list[int]:
    """Header indexes to read: the known columns and every AU column."""
    wanted = list(layout.named.values())
    for column in layout.action_units.values():
        wanted += [i for i in (column.intensity, column.presence) if i is not None]
    return wanted


def _au_values(
    source: str, layout: AuLayout, cells: ColumnCells
) -> dict[int, npt.NDArray[np.float64]]:
    """Every AU column as floats (NaN where the tool left the cell empty)."""
    values: dict[int, npt.NDArray[np.float64]] = {}
    for column in layout.action_units.values():
        for index in (column.intensity, column.presence):
            if index is not None:
                name = layout.header[index]
                values[index] = numeric_column(source, name, cells.cells[index], cells.lines)
    return values


def _optional_numbers(
    source: str, layout: AuLayout, cells: ColumnCells, name: str
) -> npt.NDArray[np.float64] | None:
    """A known numeric column, or None when the file has none."""
    if not layout.has(name):
        return None
    index = layout.named[name]
    return numeric_column(source, layout.header[index], cells.cells[index], cells.lines)


def _tracked(
    source: str,
    layout: AuLayout,
    cells: ColumnCells,
    values: dict[int, npt.NDArray[np.float64]],
) -> npt.NDArray[np.bool_]:
    """Frames with a tracked face: OpenFace `success`/`confidence`, and some AU value coded."""
    tracked = np.zeros(len(cells.lines), dtype=bool)
    for column in values.values():
        tracked |= ~np.isnan(column)
    success = _optional_numbers(source, layout, cells, "success")
    if success is not None:
        tracked &= success >= 0.5
    confidence = _optional_numbers(source, layout, cells, "confidence")
    if confidence is not None:
        tracked &= confidence >= MIN_TRACKING_CONFIDENCE
    return tracked


def _per_au(
    layout: AuLayout,
    values: dict[int, npt.NDArray[np.float64]],
    tracked: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.intp],
) -> tuple[dict[str, npt.NDArray[np.bool_]], dict[str, npt.NDArray[np.float64]]]:
    """Presence and intensity of each AU on the chosen rows."""
    presence: dict[str, npt.NDArray[np.bool_]] = {}
    intensity: dict[str, npt.NDArray[np.float64]] = {}
    on_rows = tracked[rows]
    for au, column in layout.action_units.items():
        r = values[column.intensity][rows] if column.intensity is not None else None
        if column.presence is not None:
            presence[au] = (values[column.presence][rows] >= PRESENCE_ON) & on_rows
        elif r is not None:
            presence[au] = (r >= INTENSITY_ON) & on_rows
        if r is not None:
            intensity[au] = r
    return presence, intensity


def _merge_equal_times(table: AuTable) -> AuTable:
    """Frames sharing a rounded time become one: an AU is present if present on any of them."""
    times, starts = np.unique(table.timestamps_s, return_index=True)
    merged = f"({table.timestamps_s.size} frames merged into {times.size} whole seconds)"
    return replace(
        table,
        timestamps_s=times,
        tracked=np.logical_or.reduceat(table.tracked, starts),
        presence={au: np.logical_or.reduceat(p, starts) for au, p in table.presence.items()},
        intensity={au: np.fmax.reduceat(r, starts) for au, r in table.intensity.items()},
        time_source=f"{table.time_source} {merged}",
    )


def au_events(table: AuTable) -> list[AuEvent]:
    """Runs of consecutive present frames per AU, as events sorted by onset."""
    timestamps = table.timestamps_s
    period = table.frame_period_s
    breaks = np.flatnonzero(np.diff(timestamps) > GAP_FRAME_PERIODS * period) + 1
    events: list[AuEvent] = []
    for au in table.action_units:
        present = table.presence[au].astype(np.int8)
        present_cut = np.insert(present, breaks, 0)  # a break ends a run
        at_cut = np.insert(timestamps, breaks, timestamps[breaks - 1] + period)
        edges = np.diff(np.concatenate(([0], present_cut, [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        intensity = table.intensity.get(au)
        intensity_cut = None if intensity is None else np.insert(intensity, breaks, np.nan)
        for start, stop in zip(starts, stops, strict=True):
            offset_s = at_cut[stop] if stop < at_cut.size else at_cut[-1] + period
            peak = _peak(intensity_cut, int(start), int(stop))
            events.append(AuEvent(au, float(at_cut[start]), float(offset_s), peak))
    return sorted(events, key=lambda event: (event.onset_s, au_number(event.action_unit)))


def _peak(intensity: npt.NDArray[np.float64] | None, start: int, stop: int) -> float | None:
    """Highest coded intensity of a run; None without an intensity column or coded value."""
    if intensity is None:
        return None
    run = intensity[start:stop]
    coded = run[~np.isnan(run)]
    return float(coded.max()) if coded.size else None
