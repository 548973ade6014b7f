"""Which columns of an AU file's header hold what, found by name pattern, not by known file.

OpenFace 2.x writes `AUxx_r` (intensity 0-5) and `AUxx_c` (presence 0/1), a `timestamp` in
seconds, `success`/`confidence` per frame and, from FaceLandmarkVidMulti (and FeatureExtraction
2.2), a `face_id`; its header names are padded with spaces. py-feat writes bare `AUxx` columns
(presence probability or intensity 0-1), a `frame` number, an `input` (the video or image
analysed) and, in newer versions, `approx_time` as "MM:SS"; no `timestamp`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from microexp_tui.errors import InputError

AuStyle = Literal["OpenFace", "py-feat"]
"""Whose column layout a file's AU columns follow: `AUxx_r`/`AUxx_c`, or bare `AUxx`."""

_AU_COLUMN = re.compile(r"^AU(\d{1,2})(?:_(r|c))?$", re.IGNORECASE)
_OPTIONAL_COLUMNS = (
    "timestamp",
    "frame",
    "approx_time",
    "input",
    "face_id",
    "success",
    "confidence",
)


def canonical_au(number: int) -> str:
    """The program's AU spelling, without zero padding: 1 -> "AU1" (the tools write AU01)."""
    return f"AU{number}"


@dataclass(frozen=True)
class AuColumn:
    """One AU's header indexes: intensity (`_r`) and presence (`_c` or py-feat's bare `AUxx`)."""

    intensity: int | None
    presence: int | None


@dataclass(frozen=True)
class AuLayout:
    """Header names (stripped), the index of each known column, and each AU's columns."""

    header: tuple[str, ...]
    style: AuStyle
    named: dict[str, int]
    """Index of each of `timestamp`, `frame`, `approx_time`, `input`, `face_id`, `success`,
    `confidence` that the header has (lower-case names)."""
    action_units: dict[str, AuColumn]

    def has(self, name: str) -> bool:
        """Whether the header has this known column."""
        return name in self.named

    def describe_columns(self, limit: int = 12) -> str:
        """The first header names, for a message."""
        more = " ..." if len(self.header) > limit else ""
        return ", ".join(self.header[:limit]) + more


def au_layout(source: str, header: list[str]) -> AuLayout:
    """Locate the AU and known columns by name; a header with no AU column is refused."""
    names = tuple(cell.strip() for cell in header)
    found: dict[str, list[int | None]] = {}
    suffixed = False
    for index, name in enumerate(names):
        match = _AU_COLUMN.match(name)
        if match is None:
            continue
        slot = found.setdefault(canonical_au(int(match.group(1))), [None, None])
        suffix = (match.group(2) or "c").lower()  # a bare AUxx is a presence value
        suffixed = suffixed or match.group(2) is not None
        slot[0 if suffix == "r" else 1] = index
    if not found:
        shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
        raise InputError(
            f"{source} has no action-unit columns (found: {shown}); expected OpenFace 2.x's "
            "`AUxx_r` (intensity) / `AUxx_c` (presence) or py-feat's `AUxx` columns."
        )
    lower = [name.lower() for name in names]
    named = {name: lower.index(name) for name in _OPTIONAL_COLUMNS if name in lower}
    return AuLayout(
        header=names,
        style="OpenFace" if suffixed else "py-feat",
        named=named,
        action_units={au: AuColumn(slot[0], slot[1]) for au, slot in found.items()},
    )
