"""Dataset templates (templates/datasets/*.toml): who made a BIDS export, its licence and setup.

A template holds what the session database does not know: authors, licence, funding,
ethics approvals, a README text, the institution, the electrodes and how the stimuli were
shown. It is read through schema/'s reader and checked by `DatasetTemplateFile`; a field
of the wrong type, or a name the export does not know, stops with an InputError naming the
field and its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir
from microexp_tui.schema.problems import validate_file
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import FileModel, Line, Paragraph, Text, Title, distinct

DATASET_TEMPLATES_DIR = resource_dir("templates", "datasets")
DEFAULT_DATASET_TEMPLATE = "default"
TEMPLATE_HINT = "Fix the file and try again (templates/datasets/default.toml lists every field)."
MAX_AUTHORS = 500
MAX_LIST_ENTRIES = 50
MAX_INTERELECTRODE_DISTANCE_MM = 200.0
"""Farther apart than this, two electrodes are not one bipolar pair on a face."""
MAX_SCREEN_DISTANCE_M = 20.0
PLACEHOLDER_MARK = "(edit me)"
"""Marks a value of the shipped default that a lab must replace."""

Entries = Annotated[list[Paragraph], Field(max_length=MAX_LIST_ENTRIES)]
"""A list of free-text entries (funding sources, approvals, links)."""


class SourceDatasetFile(FileModel):
    """One `[[source_datasets]]` entry: where a source of the data can be found."""

    url: Title | None = None
    doi: Title | None = None
    version: Title | None = None

    @model_validator(mode="after")
    def _named(self) -> SourceDatasetFile:
        """An entry must say at least where the source is."""
        if self.url is None and self.doi is None:
            raise ValueError("needs a url or a doi")
        return self


class InstitutionFile(FileModel):
    """The `[institution]` table: who is in charge of the equipment."""

    name: Title | None = None
    address: Title | None = None
    department: Title | None = None


class ElectrodesFile(FileModel):
    """The `[electrodes]` table: the electrodes and how they were placed."""

    manufacturer: Title | None = None
    model_name: Title | None = None
    material: Title | None = None
    """E.g. "Ag/AgCl"."""
    interelectrode_distance_mm: (
        Annotated[float, Field(gt=0, le=MAX_INTERELECTRODE_DISTANCE_MM)] | None
    ) = None
    """Centre-to-centre distance of the two electrodes of each bipolar pair, in mm."""
    group: Title = "face"
    """The `group` of every channel in channels.tsv (all sensors sit on the face)."""
    placement: Paragraph | None = None
    """How the sensors were placed (replaces the export's general description)."""
    ground: Paragraph | None = None
    """Where each sensor module's reference (ground) electrode was placed."""


class StimulusPresentationFile(FileModel):
    """The `[stimulus_presentation]` table: the screen and computer that showed the stimuli."""

    operating_system: Title | None = None
    screen_distance_m: Annotated[float, Field(gt=0, le=MAX_SCREEN_DISTANCE_M)] | None = None
    head_stabilization: Title | None = None


class DatasetTemplateFile(FileModel):
    """A dataset template file: the dataset's description, people, licence and setup."""

    name: Title
    """Name of the dataset (dataset_description.json `Name`)."""
    authors: Annotated[
        list[Title], Field(min_length=1, max_length=MAX_AUTHORS), AfterValidator(distinct)
    ]
    """Researchers who made the dataset, one per entry ("Given Family")."""
    license: Title
    """Licence of the data, preferably an SPDX identifier such as "CC-BY-4.0" or "CC0-1.0"."""
    funding: Entries = Field(default_factory=list)
    ethics_approvals: Entries = Field(default_factory=list)
    acknowledgements: Paragraph | None = None
    how_to_acknowledge: Paragraph | None = None
    references_and_links: Entries = Field(default_factory=list)
    dataset_doi: Title | None = None
    source_datasets: Annotated[list[SourceDatasetFile], Field(max_length=MAX_LIST_ENTRIES)] = Field(
        default_factory=list
    )
    readme: Text = ""
    """The lab's own text, put at the top of the export's README.md."""
    instructions: Paragraph | None = None
    """What participants were told before the recording (each `*_emg.json` `Instructions`)."""
    device_serial_number: Line | None = None
    institution: InstitutionFile = Field(default_factory=InstitutionFile)
    electrodes: ElectrodesFile = Field(default_factory=ElectrodesFile)
    stimulus_presentation: StimulusPresentationFile = Field(
        default_factory=StimulusPresentationFile
    )


@dataclass(frozen=True)
class DatasetTemplate:
    """A checked dataset template and where it came from."""

    name: str
    """The template's name (file stem)."""
    path: Path
    fields: DatasetTemplateFile

    def placeholders(self) -> list[str]:
        """Fields still holding a value marked "(edit me)", e.g. `authors`, `institution.name`."""
        return [path for path, text in _texts(self.fields.model_dump()) if PLACEHOLDER_MARK in text]

    def declared_text(self) -> str:
        """Every text of the template, one per line: where a lab names its researchers."""
        return "\n".join(text for _, text in _texts(self.fields.model_dump()))


def _texts(value: object, path: str = "") -> list[tuple[str, str]]:
    """(field path, text) of each string inside nested dicts and lists (a list is one field)."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [
            found
            for key, inner in value.items()
            for found in _texts(inner, f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list):
        return [found for inner in value for found in _texts(inner, path)]
    return []


def available_dataset_templates(directory: Path = DATASET_TEMPLATES_DIR) -> list[str]:
    """Names of the shipped dataset templates, default first."""
    names = sorted(path.stem for path in directory.glob("*.toml"))
    return sorted(names, key=lambda name: name != DEFAULT_DATASET_TEMPLATE)


def resolve_dataset_template(
    name_or_path: str | Path | None, directory: Path = DATASET_TEMPLATES_DIR
) -> Path:
    """The file of a dataset template given by name (from templates/datasets) or by path."""
    text = str(name_or_path) if name_or_path else DEFAULT_DATASET_TEMPLATE
    candidate = Path(text).expanduser()
    if candidate.suffix in (".toml", ".json") or candidate.parent != Path("."):
        return candidate.resolve()
    shipped = directory / f"{text}.toml"
    if shipped.is_file():
        return shipped.resolve()
    names = ", ".join(available_dataset_templates(directory)) or "none"
    raise InputError(
        f"No dataset template named {text!r} in {directory} (available: {names}); give a "
        "name from there or the path of a .toml file (copy templates/datasets/default.toml "
        "and edit it)."
    )


def load_dataset_template(
    name_or_path: str | Path | None = None, directory: Path = DATASET_TEMPLATES_DIR
) -> DatasetTemplate:
    """Read and check a dataset template (the shipped default when none is named)."""
    path = resolve_dataset_template(name_or_path, directory)
    checked = validate_file(
        DatasetTemplateFile, read_person_file(path, "dataset template"), TEMPLATE_HINT
    )
    return DatasetTemplate(path.stem, path, checked)
