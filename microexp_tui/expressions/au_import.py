"""Read video-coded action units from OpenFace 2.x / py-feat CSV files into AU events.

A file has a `timestamp` column (seconds) and per-AU columns: `AUxx_r` intensity (0-5),
`AUxx_c` presence (0/1), or py-feat's bare `AUxx` presence probability (0-1). OpenFace pads
its header names with spaces and writes `success`/`confidence` per frame; frames it could
not track count as "AU absent". An AU is active on a frame when its presence column says
so (>= 0.5), or, with only an intensity column, when the intensity reaches
`INTENSITY_ON`. Consecutive active frames form one event from the first active frame's
timestamp to the next frame's timestamp.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.expressions import AuEvent
from microexp_tui.errors import InputError

INTENSITY_ON = 1.0
"""OpenFace intensity (0-5 scale) from which an AU counts as present without a `_c` column."""
PRESENCE_ON = 0.5
"""Presence value (0/1 in OpenFace, a probability in py-feat) from which an AU counts as present."""
MIN_TRACKING_CONFIDENCE = 0.5
"""OpenFace `confidence` under which a frame counts as untracked."""
_AU_COLUMN = re.compile(r"^AU(\d{1,2})(?:_(r|c))?$", re.IGNORECASE)


@dataclass(frozen=True)
class AuTable:
    """Per-frame AU values of one file: timestamps (s) and, per AU, presence and intensity."""

    source: str
    sha256: str
    timestamps_s: npt.NDArray[np.float64]
    tracked: npt.NDArray[np.bool_]
    presence: dict[str, npt.NDArray[np.bool_]]
    intensity: dict[str, npt.NDArray[np.float64]]

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


def au_number(name: str) -> int:
    """The number of an action unit name: "AU12" -> 12."""
    return int(name[2:])


def canonical_au(number: int) -> str:
    """The program's AU spelling, without zero padding: 1 -> "AU1" (OpenFace writes AU01)."""
    return f"AU{number}"


def read_au_csv(path: Path) -> AuTable:
    """Parse an OpenFace / py-feat CSV; a malformed file raises InputError naming column or row."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(
            f"cannot read the AU file {path}: {err.strerror or err}. Check the path."
        ) from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path} is not a UTF-8 text CSV (byte {err.start}); export the AUs from OpenFace "
            "or py-feat as CSV."
        ) from err
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(f"{path} is empty; expected a header with `timestamp` and AU columns.")
    header = [cell.strip() for cell in rows[0]]
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    columns = _column_plan(path, header)
    values = _numeric_body(path, header, body, columns.all_indexes())
    timestamps = values[:, 0]
    _check_timestamps(path, timestamps)
    tracked = _tracked(values, columns)
    presence: dict[str, npt.NDArray[np.bool_]] = {}
    intensity: dict[str, npt.NDArray[np.float64]] = {}
    for au, (r_at, c_at) in columns.action_units.items():
        r = values[:, columns.position(r_at)] if r_at is not None else None
        c = values[:, columns.position(c_at)] if c_at is not None else None
        if c is not None:
            presence[au] = (c >= PRESENCE_ON) & tracked
        elif r is not None:
            presence[au] = (r >= INTENSITY_ON) & tracked
        if r is not None:
            intensity[au] = r
    return AuTable(
        source=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        timestamps_s=timestamps,
        tracked=tracked,
        presence=presence,
        intensity=intensity,
    )


@dataclass(frozen=True)
class _Columns:
    """Which header columns hold the timestamp, tracking quality and each AU's `_r`/`_c`."""

    timestamp: int
    success: int | None
    confidence: int | None
    action_units: dict[str, tuple[int | None, int | None]]

    def all_indexes(self) -> list[int]:
        """Header indexes to parse as numbers, timestamp first."""
        indexes = [self.timestamp]
        indexes += [i for i in (self.success, self.confidence) if i is not None]
        for r_at, c_at in self.action_units.values():
            indexes += [i for i in (r_at, c_at) if i is not None]
        return indexes

    def position(self, header_index: int) -> int:
        """Position of a header column in the parsed value matrix."""
        return self.all_indexes().index(header_index)


def _column_plan(path: Path, header: list[str]) -> _Columns:
    """Locate the columns by name; a missing timestamp or no AU column is an error."""
    lower = [name.lower() for name in header]
    if "timestamp" not in lower:
        raise InputError(
            f"{path} has no `timestamp` column (found: {', '.join(header[:12])}"
            f"{' ...' if len(header) > 12 else ''}). Export the AUs with OpenFace "
            "FeatureExtraction or py-feat, which write `timestamp` in seconds."
        )
    found: dict[str, list[int | None]] = {}
    for index, name in enumerate(header):
        match = _AU_COLUMN.match(name)
        if match is None:
            continue
        au = canonical_au(int(match.group(1)))
        slot = found.setdefault(au, [None, None])
        suffix = (match.group(2) or "c").lower()  # py-feat's bare AUxx is a presence value
        slot[0 if suffix == "r" else 1] = index
    if not found:
        raise InputError(
            f"{path} has no action-unit columns; expected `AUxx_r` (intensity) and/or `AUxx_c` "
            "(presence) as written by OpenFace 2.x or py-feat."
        )
    return _Columns(
        timestamp=lower.index("timestamp"),
        success=lower.index("success") if "success" in lower else None,
        confidence=lower.index("confidence") if "confidence" in lower else None,
        action_units={au: (slot[0], slot[1]) for au, slot in found.items()},
    )


def _numeric_body(
    path: Path, header: list[str], body: list[list[str]], indexes: list[int]
) -> npt.NDArray[np.float64]:
    """The chosen columns as floats; a short row or a non-number names its line and column."""
    if not body:
        raise InputError(f"{path} has a header but no frames.")
    values = np.empty((len(body), len(indexes)))
    width = len(header)
    for row_number, row in enumerate(body):
        line = row_number + 2  # 1-based, after the header line
        if len(row) < width:
            raise InputError(
                f"{path} line {line}: {len(row)} fields, the header has {width}; the file is "
                "truncated or mixes separators."
            )
        for position, index in enumerate(indexes):
            cell = row[index].strip()
            try:
                number = float(cell)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise InputError(
                    f"{path} line {line}, column `{header[index]}`: {cell!r} is not a number."
                )
            values[row_number, position] = number
    return values


def _check_timestamps(path: Path, timestamps: npt.NDArray[np.float64]) -> None:
    """Timestamps must strictly increase; the first offender is named by its line."""
    steps = np.diff(timestamps)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        line = int(bad[0]) + 3  # frame bad[0]+1, after the header line, 1-based
        raise InputError(
            f"{path} line {line}: timestamp {timestamps[bad[0] + 1]:g} s does not follow "
            f"{timestamps[bad[0]]:g} s; timestamps must increase (one video per file)."
        )


def _tracked(values: npt.NDArray[np.float64], columns: _Columns) -> npt.NDArray[np.bool_]:
    """Frames where the face was tracked (OpenFace `success`, `confidence`); all when absent."""
    tracked = np.ones(values.shape[0], dtype=bool)
    if columns.success is not None:
        tracked &= values[:, columns.position(columns.success)] >= 0.5
    if columns.confidence is not None:
        tracked &= values[:, columns.position(columns.confidence)] >= MIN_TRACKING_CONFIDENCE
    return tracked


def au_events(table: AuTable) -> list[AuEvent]:
    """Runs of consecutive present frames per AU, as events sorted by onset."""
    timestamps = table.timestamps_s
    period = table.frame_period_s
    events: list[AuEvent] = []
    for au in table.action_units:
        present = table.presence[au].astype(np.int8)
        edges = np.diff(np.concatenate(([0], present, [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        intensity = table.intensity.get(au)
        for start, stop in zip(starts, stops, strict=True):
            offset_s = timestamps[stop] if stop < timestamps.size else timestamps[-1] + period
            peak = float(intensity[start:stop].max()) if intensity is not None else None
            events.append(AuEvent(au, float(timestamps[start]), float(offset_s), peak))
    return sorted(events, key=lambda event: (event.onset_s, au_number(event.action_unit)))
