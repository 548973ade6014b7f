"""The BIDS sidecars another lab wrote: channels.tsv, events.tsv and the *_emg.json fields used.

Each TSV row is validated by a pydantic model (extra BIDS columns are allowed and ignored);
`n/a` and empty cells are missing values. A bad row is refused with its file, line and field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from microexp_tui.errors import InputError
from microexp_tui.schema.problems import invalid, problems_of
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import MAX_TEXT_CHARS, Line

MAX_TSV_BYTES = 64 * 1024 * 1024
"""Largest sidecar table read (events of a long recording stay far below)."""
MISSING_CELLS = ("", "n/a")
HINT = "Fix the file (BIDS: tab-separated, a header row, n/a for missing values) and try again."

M = TypeVar("M", bound=BaseModel)
FreeText = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
"""Text from another lab, kept as written and sanitised where it is stored (`clean_label`)."""


class SidecarRow(BaseModel):
    """Base of a TSV row: text cells, extra columns kept aside, numbers parsed from text."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ChannelRow(SidecarRow):
    """One row of `*_channels.tsv`: a signal's name, type and units, and what it measures."""

    name: Line = Field(min_length=1)
    type: Line = Field(min_length=1)
    units: Line = Field(min_length=1)
    description: FreeText | None = None
    target_muscle: FreeText | None = None


class EventRow(SidecarRow):
    """One row of `*_events.tsv`: onset and duration in seconds, and what happened."""

    onset: float
    duration: float | None = None
    trial_type: FreeText | None = None
    value: FreeText | None = None
    target_emotion: FreeText | None = None
    source: FreeText | None = None
    label: FreeText | None = None

    @field_validator("onset", "duration")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        """Onsets and durations are finite numbers of seconds."""
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number of seconds")
        return value


@dataclass(frozen=True)
class Table:
    """The validated rows of one TSV file and their line numbers."""

    path: Path
    rows: tuple[Any, ...]
    lines: tuple[int, ...]


def read_table(path: Path, model: type[M], what: str) -> Table:
    """The rows of a BIDS TSV file as `model`s; InputError naming file, line and field."""
    text = _read_text(path, what)
    lines = [line for line in text.splitlines()]
    if not lines or not lines[0].strip():
        raise InputError(f"{what.capitalize()} {path} is empty; it needs a header row. {HINT}")
    header = [cell.strip() for cell in lines[0].split("\t")]
    rows, numbers = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        data = {
            column: cell.strip()
            for column, cell in zip(header, cells, strict=False)
            if cell.strip() not in MISSING_CELLS
        }
        try:
            rows.append(model.model_validate(data))
        except ValidationError as err:
            problems = problems_of(err)
            raise invalid(
                f"{what.capitalize()} {path}, line {number}", problems, HINT, "column"
            ) from None
        numbers.append(number)
    return Table(path, tuple(rows), tuple(numbers))


def _read_text(path: Path, what: str) -> str:
    """A sidecar's UTF-8 text; InputError when it cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_TSV_BYTES:
            raise InputError(f"{what.capitalize()} {path} is {size} bytes; too large to be one.")
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{what.capitalize()} {path} is not UTF-8 text (byte {err.start}); save it as UTF-8."
        ) from None
    except OSError as err:
        raise InputError(f"{what.capitalize()} {path} cannot be read: {err.strerror}.") from None


class EmgSidecar(BaseModel):
    """The fields of `*_emg.json` an import checks against the data file."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    SamplingFrequency: float | None = None
    RecordingDuration: float | None = None
    EMGChannelCount: int | None = None


def read_emg_sidecar(path: Path) -> EmgSidecar:
    """The `*_emg.json` fields used; a file that is not valid JSON is an InputError."""
    file = read_person_file(path, "EMG sidecar")
    try:
        return EmgSidecar.model_validate(file.data)
    except ValidationError as err:
        raise invalid(file.where(), problems_of(err), HINT) from None
