"""Report templates: `templates/report/*.toml` read, checked against their schema, and merged.

`default.toml` holds every field; another template names only what it changes. A field of
the wrong type or value, or a name the report does not know, stops with an InputError that
names the field and the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field

from microexp_tui.errors import InputError
from microexp_tui.report.template_names import (
    DEFAULT_NAME,
    PAPERS,
    TEMPLATES_DIR,
    available_templates,
)
from microexp_tui.schema.problems import Problem, invalid, validate_file
from microexp_tui.schema.reader import PersonFile, read_person_file
from microexp_tui.schema.types import FileModel, Paragraph, PathText, Title, distinct, one_of

T = TypeVar("T")

SECTIONS: tuple[str, ...] = (
    "cover",
    "quality",
    "stimuli",
    "timeline",
    "confusion",
    "responses",
    "events",
    "validation",
    "models",
    "longitudinal",
    "caveats",
    "signoff",
)
WORDING_FIELDS: tuple[str, ...] = (
    "caveats",
    "signoff",
    "interrupted",
    "aborted",
    "simulated",
    "responses",
)
LOGO_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg")
MAX_TIMELINE_ROWS_MINUTES = 120.0
MAX_EVENT_ROWS = 10_000
"""More rows than this in the events table would print hundreds of pages."""
MAX_CAVEATS = 20
TEMPLATE_HINT = "Fix the file and try again (templates/report/default.toml lists every field)."


@dataclass(frozen=True)
class Wording:
    """Texts a site may reword: caveats, sign-off statement and status banners."""

    caveats: tuple[str, ...]
    signoff: str
    interrupted: str
    aborted: str
    simulated: str
    responses: str


@dataclass(frozen=True)
class ReportTemplate:
    """A checked report template: titles, paper, sections in order, limits and wording."""

    name: str
    path: Path
    title: str
    study: str
    site: str
    logo: Path | None
    paper: str
    sections: tuple[str, ...]
    timeline_minutes_per_row: float
    max_event_rows: int
    wording: Wording


def resolve_template(name_or_path: str | Path | None, directory: Path = TEMPLATES_DIR) -> Path:
    """The file of a template given by name (from templates/report) or by path."""
    text = str(name_or_path) if name_or_path else DEFAULT_NAME
    candidate = Path(text).expanduser()
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        return candidate.resolve()
    shipped = directory / f"{text}.toml"
    if shipped.is_file():
        return shipped
    names = ", ".join(available_templates(directory)) or "none"
    raise InputError(
        f"No report template named {text!r} in {directory} (available: {names}); "
        "give a name from there or the path of a .toml file."
    )


def load_template(
    name_or_path: str | Path | None = None, directory: Path = TEMPLATES_DIR
) -> ReportTemplate:
    """Read and check a template, then fill what it leaves out from the default one."""
    default_path = directory / f"{DEFAULT_NAME}.toml"
    if not default_path.is_file():
        raise InputError(
            f"The default report template is missing ({default_path}); reinstall microexp-tui."
        )
    default_file = read_person_file(default_path, "report template")
    default = validate_file(TemplateFile, default_file, TEMPLATE_HINT)
    path = resolve_template(name_or_path, directory)
    if path == default_path.resolve():
        return default.to_template(path, default_file)
    overlay = validate_file(TemplateFile, read_person_file(path, "report template"), TEMPLATE_HINT)
    return default.merged_with(overlay).to_template(path, default_file)


class WordingFile(FileModel):
    """The `[wording]` table: texts a site may reword."""

    caveats: Annotated[list[Paragraph], Field(min_length=1, max_length=MAX_CAVEATS)] | None = None
    """The standing caveats, one paragraph each."""
    signoff: Paragraph | None = None
    """The reviewer's statement above the signature lines."""
    interrupted: Paragraph | None = None
    """Banner of a session that stopped before its protocol ended."""
    aborted: Paragraph | None = None
    """Banner of a session the operator aborted."""
    simulated: Paragraph | None = None
    """Banner of a session recorded from the simulated board."""
    responses: Paragraph | None = None
    """How the "Responses by condition" section computes what it shows."""


SectionName = Annotated[str, AfterValidator(one_of(SECTIONS))]


class TemplateFile(FileModel):
    """A report template file; every field may be left out and comes from the default."""

    title: Title | None = None
    """Report title (cover and every header)."""
    study: Title | None = None
    site: Title | None = None
    logo: PathText | None = None
    """PNG or JPEG drawn on the cover, relative to the template file; "" for none."""
    paper: Annotated[str, AfterValidator(one_of(PAPERS))] | None = None
    sections: (
        Annotated[
            list[SectionName],
            Field(min_length=1, max_length=len(SECTIONS)),
            AfterValidator(distinct),
        ]
        | None
    ) = None
    """Which sections, in this order, each at most once."""
    timeline_minutes_per_row: (
        Annotated[float, Field(ge=0.5, le=MAX_TIMELINE_ROWS_MINUTES)] | None
    ) = None
    max_event_rows: Annotated[int, Field(ge=1, le=MAX_EVENT_ROWS)] | None = None
    wording: WordingFile = Field(default_factory=WordingFile)

    def merged_with(self, overlay: TemplateFile) -> TemplateFile:
        """This template with every field `overlay` sets (and each wording it sets) replaced."""
        wording = self.wording.model_copy(update=overlay.wording.model_dump(exclude_unset=True))
        changes = overlay.model_dump(exclude_unset=True, exclude={"wording"})
        return self.model_copy(update={**changes, "wording": wording})

    def to_template(self, path: Path, default_file: PersonFile) -> ReportTemplate:
        """The checked template named after `path` (a field missing everywhere is an error)."""
        fields = self.model_dump()
        missing = [
            Problem(name, "is missing")
            for name, value in [*fields.items(), *fields["wording"].items()]
            if value is None
        ]
        if missing:
            raise invalid(default_file.where(), missing, "Reinstall microexp-tui.")
        wording = self.wording
        return ReportTemplate(
            name=path.stem,
            path=path,
            title=_given(self.title),
            study=_given(self.study),
            site=_given(self.site),
            logo=_logo(_given(self.logo).strip(), path),
            paper=_given(self.paper),
            sections=tuple(_given(self.sections)),
            timeline_minutes_per_row=_given(self.timeline_minutes_per_row),
            max_event_rows=_given(self.max_event_rows),
            wording=Wording(
                caveats=tuple(_given(wording.caveats)),
                signoff=_given(wording.signoff),
                interrupted=_given(wording.interrupted),
                aborted=_given(wording.aborted),
                simulated=_given(wording.simulated),
                responses=_given(wording.responses),
            ),
        )


def _given(value: T | None) -> T:
    """A field the merge has filled (the check for missing fields ran before)."""
    if value is None:
        raise AssertionError("a template field is still missing after the merge")
    return value


def _logo(text: str, path: Path) -> Path | None:
    """The logo file (relative to the template), or None; it must exist and be PNG or JPEG."""
    if not text:
        return None
    logo = (path.parent / text).expanduser().resolve()
    problem = _logo_problem(logo, text)
    if problem:
        raise invalid(f"Report template {path}", [Problem("logo", problem)], TEMPLATE_HINT)
    return logo


def _logo_problem(logo: Path, text: str) -> str | None:
    """Why `logo` cannot be drawn on the cover, or None."""
    if logo.suffix.lower() not in LOGO_SUFFIXES:
        return f"must name a PNG or JPEG file, not {text!r}"
    if not logo.is_file():
        return f"names {logo}, which does not exist"
    from reportlab.lib.utils import ImageReader

    try:
        ImageReader(str(logo)).getSize()
    except Exception as err:  # reportlab/Pillow raise many types for a bad image
        return f"names {logo}, which is not a readable PNG or JPEG image ({err})"
    return None
