"""Report templates: `templates/report/*.toml` read, checked field by field, and merged.

`default.toml` holds every field; another template names only what it changes. A field of
the wrong type or value, or a name the report does not know, stops with an InputError that
names the field and the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir

TEMPLATES_DIR = resource_dir("templates", "report")
DEFAULT_NAME = "default"
PAPERS: tuple[str, ...] = ("A4", "Letter")
SECTIONS: tuple[str, ...] = (
    "cover",
    "quality",
    "stimuli",
    "timeline",
    "confusion",
    "events",
    "validation",
    "models",
    "longitudinal",
    "caveats",
    "signoff",
)
WORDING_FIELDS: tuple[str, ...] = ("caveats", "signoff", "interrupted", "aborted", "simulated")
LOGO_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg")
MAX_TIMELINE_ROWS_MINUTES = 120.0


@dataclass(frozen=True)
class Wording:
    """Texts a site may reword: caveats, sign-off statement and status banners."""

    caveats: tuple[str, ...]
    signoff: str
    interrupted: str
    aborted: str
    simulated: str


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


def available_templates(directory: Path = TEMPLATES_DIR) -> list[str]:
    """Names of the shipped templates (file stems), default first."""
    names = sorted(p.stem for p in directory.glob("*.toml"))
    return sorted(names, key=lambda name: name != DEFAULT_NAME)


def resolve_template(name_or_path: str | Path | None, directory: Path = TEMPLATES_DIR) -> Path:
    """The file of a template given by name (from templates/report) or by path."""
    text = str(name_or_path) if name_or_path else DEFAULT_NAME
    candidate = Path(text).expanduser()
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if candidate.is_file():
            return candidate.resolve()
        raise InputError(f"Report template file {candidate} does not exist.")
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
    """Read, check and merge a template over the default one."""
    default_path = directory / f"{DEFAULT_NAME}.toml"
    if not default_path.is_file():
        raise InputError(
            f"The default report template is missing ({default_path}); reinstall microexp-tui."
        )
    base = _read_toml(default_path)
    path = resolve_template(name_or_path, directory)
    overlay = base if path == default_path.resolve() else _read_toml(path)
    _check_names(overlay, path)
    merged = {**base, **overlay}
    merged["wording"] = {**base.get("wording", {}), **overlay.get("wording", {})}
    return _build(merged, path)


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; InputError naming the file and the line on a syntax error."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"Report template {path} is not valid TOML: {err}.") from err
    except OSError as err:
        raise InputError(f"Cannot read report template {path}: {err.strerror}.") from err


def _check_names(data: dict[str, Any], path: Path) -> None:
    """Every top-level and wording name must be one the report knows."""
    known = {field for field in ReportTemplate.__dataclass_fields__} - {"name", "path"}
    for key in data:
        if key not in known:
            raise InputError(
                f"Report template {path}: unknown field {key!r}; known fields are "
                f"{', '.join(sorted(known))}."
            )
    wording = data.get("wording", {})
    if not isinstance(wording, dict):
        raise InputError(f"Report template {path}: field 'wording' must be a table ([wording]).")
    for key in wording:
        if key not in WORDING_FIELDS:
            raise InputError(
                f"Report template {path}: unknown field 'wording.{key}'; known wording "
                f"fields are {', '.join(WORDING_FIELDS)}."
            )


def _build(data: dict[str, Any], path: Path) -> ReportTemplate:
    """The checked template from merged fields."""
    field = _Fields(data, path)
    sections = field.str_list("sections")
    for section in sections:
        if section not in SECTIONS:
            raise InputError(
                f"Report template {path}: field 'sections' names {section!r}, which is not a "
                f"section; use some of {', '.join(SECTIONS)}."
            )
    if not sections or len(set(sections)) != len(sections):
        raise InputError(
            f"Report template {path}: field 'sections' must list at least one section, each once."
        )
    paper = field.text("paper")
    if paper not in PAPERS:
        raise InputError(
            f"Report template {path}: field 'paper' must be one of {', '.join(PAPERS)}, "
            f"not {paper!r}."
        )
    minutes = field.number("timeline_minutes_per_row")
    if not 0.5 <= minutes <= MAX_TIMELINE_ROWS_MINUTES:
        raise InputError(
            f"Report template {path}: field 'timeline_minutes_per_row' must be between 0.5 and "
            f"{MAX_TIMELINE_ROWS_MINUTES:g} minutes, not {minutes:g}."
        )
    rows = field.integer("max_event_rows")
    if rows < 1:
        raise InputError(f"Report template {path}: field 'max_event_rows' must be at least 1.")
    wording = _Fields(data["wording"], path, "wording.")
    return ReportTemplate(
        name=path.stem,
        path=path,
        title=field.text("title"),
        study=field.text("study"),
        site=field.text("site"),
        logo=_logo(field.text("logo", allow_empty=True), path),
        paper=paper,
        sections=tuple(sections),
        timeline_minutes_per_row=minutes,
        max_event_rows=rows,
        wording=Wording(
            caveats=tuple(wording.str_list("caveats")),
            signoff=wording.text("signoff"),
            interrupted=wording.text("interrupted"),
            aborted=wording.text("aborted"),
            simulated=wording.text("simulated"),
        ),
    )


def _logo(text: str, path: Path) -> Path | None:
    """The logo file (relative to the template), or None; it must exist and be PNG or JPEG."""
    if not text:
        return None
    logo = (path.parent / text).expanduser().resolve()
    if logo.suffix.lower() not in LOGO_SUFFIXES:
        raise InputError(
            f"Report template {path}: field 'logo' must be a PNG or JPEG file, not {text!r}."
        )
    if not logo.is_file():
        raise InputError(
            f"Report template {path}: field 'logo' names {logo}, which does not exist."
        )
    from reportlab.lib.utils import ImageReader

    try:
        ImageReader(str(logo)).getSize()
    except Exception as err:  # reportlab/Pillow raise many types for a bad image
        raise InputError(
            f"Report template {path}: field 'logo' names {logo}, which is not a readable PNG or "
            f"JPEG image ({err})."
        ) from err
    return logo


class _Fields:
    """Typed access to a template's fields, naming the field and file in every error."""

    def __init__(self, data: dict[str, Any], path: Path, prefix: str = "") -> None:
        """Wrap merged fields read from `path`."""
        self.data, self.path, self.prefix = data, path, prefix

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise InputError(f"Report template {self.path}: field '{self.prefix}{key}' is missing.")
        return self.data[key]

    def _fail(self, key: str, wanted: str) -> InputError:
        value = self.data[key]
        return InputError(
            f"Report template {self.path}: field '{self.prefix}{key}' must be {wanted}, not "
            f"{type(value).__name__} {value!r}."
        )

    def text(self, key: str, allow_empty: bool = False) -> str:
        """A string field (non-empty unless allowed)."""
        value = self._get(key)
        if not isinstance(value, str) or not (allow_empty or value.strip()):
            raise self._fail(key, "a non-empty string" if not allow_empty else "a string")
        return value.strip()

    def str_list(self, key: str) -> list[str]:
        """A list-of-strings field."""
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self._fail(key, "a list of non-empty strings")
        return [v.strip() for v in value]

    def number(self, key: str) -> float:
        """A number field (int or float, not bool)."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number")
        return float(value)

    def integer(self, key: str) -> int:
        """An integer field (not bool)."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer")
        return value
