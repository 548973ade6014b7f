"""`dataset.toml`: the sidecar a person writes beside labelled CSV files to say how to read them.

Every key is optional; without a sidecar a folder in the seed layout reads as the seed data
(see `table.py`). A documented example is templates/training/dataset.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.schema.problems import validate_file
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import FileModel, Line, Title, distinct, one_of

SIDECAR_NAME = "dataset.toml"
SIDECAR_HINT = "Fix the file and try again (templates/training/dataset.toml shows the format)."
NORMALISATION_CHOICES = ("auto", "range", "standardise")
"""auto: ranges for ADC counts, standardisation for anything else."""
MAX_RATE_HZ = 100_000.0


class ChannelEntry(FileModel):
    """One `[[channel]]`: a value column, and optionally its muscle, unit and log transform."""

    column: Title
    muscle: Title | None = None
    unit: Title | None = None
    log: bool | None = None
    """True for a power-like feature to log-transform; absent: detected from the data."""


class DatasetFile(FileModel):
    """The sidecar's keys."""

    label_column: Title | None = None
    participant_column: Title | None = None
    """Absent: one participant per file, named by the file's stem."""
    neutral_label: Title = "neutral"
    ignore_columns: Annotated[list[Title], AfterValidator(distinct)] = Field(default_factory=list)
    unit: Title | None = None
    """The unit of every channel without its own (absent: counts for whole numbers 0..1023)."""
    sensor_kind: Annotated[str, AfterValidator(one_of(SENSOR_KINDS))] = "envelope"
    rate_hz: Annotated[float, Field(gt=0, le=MAX_RATE_HZ)] | None = None
    normalisation: Annotated[str, AfterValidator(one_of(NORMALISATION_CHOICES))] = "auto"
    description: Line = ""
    channel: Annotated[list[ChannelEntry], Field(max_length=4096)] = Field(default_factory=list)
    """Absent: every column other than label, participant and ignored ones, in file order."""

    def to_declaration(self) -> TableDeclaration:
        """The sidecar as the loader's declaration."""
        return TableDeclaration(
            label_column=self.label_column,
            participant_column=self.participant_column,
            neutral_label=self.neutral_label.casefold(),
            ignore_columns=tuple(self.ignore_columns),
            unit=self.unit,
            sensor_kind=self.sensor_kind,
            rate_hz=self.rate_hz,
            normalisation=self.normalisation,
            description=self.description,
            channels=tuple(
                ChannelDeclaration(c.column, c.muscle, c.unit, c.log) for c in self.channel
            ),
        )


@dataclass(frozen=True)
class ChannelDeclaration:
    """What a person declared about one value column."""

    column: str
    muscle: str | None = None
    unit: str | None = None
    log: bool | None = None


@dataclass(frozen=True)
class TableDeclaration:
    """How to read labelled CSV files: from the sidecar, options, or the defaults."""

    label_column: str | None = None
    participant_column: str | None = None
    neutral_label: str = "neutral"
    ignore_columns: tuple[str, ...] = ()
    unit: str | None = None
    sensor_kind: str = "envelope"
    rate_hz: float | None = None
    normalisation: str = "auto"
    description: str = ""
    channels: tuple[ChannelDeclaration, ...] = ()


def read_sidecar(path: Path) -> TableDeclaration:
    """Read and check a sidecar file; InputError naming the file, line and field."""
    file = read_person_file(path, "dataset sidecar")
    return validate_file(DatasetFile, file, SIDECAR_HINT).to_declaration()


def read_declaration(folder: Path) -> TableDeclaration:
    """The folder's `dataset.toml` when there is one, else the defaults."""
    path = folder / SIDECAR_NAME
    return read_sidecar(path) if path.is_file() else TableDeclaration()
