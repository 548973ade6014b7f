"""The report's fonts: Bitstream Vera, which reportlab itself ships, embedded as TrueType subsets.

Every PDF font must be embedded so a report prints the same everywhere; the standard 14
PDF fonts are not. Vera (the ancestor of DejaVu, under the permissive Bitstream Vera
licence) sits in `reportlab/fonts/`, so it is present wherever reportlab is installed,
editable or not, on a fresh machine too. Debian's DejaVu is the fallback for a reportlab
packaged without its fonts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from microexp_tui.errors import InputError

REGULAR = "MxSans"
BOLD = "MxSans-Bold"
ITALIC = "MxSans-Italic"
BOLD_ITALIC = "MxSans-BoldItalic"

_REPORTLAB_FONTS = Path(reportlab.__file__).resolve().parent / "fonts"
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_CANDIDATES: tuple[tuple[Path, tuple[str, str, str, str]], ...] = (
    (_REPORTLAB_FONTS, ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")),
    (
        _DEJAVU,
        (
            "DejaVuSans.ttf",
            "DejaVuSans-Bold.ttf",
            "DejaVuSans-Oblique.ttf",
            "DejaVuSans-BoldOblique.ttf",
        ),
    ),
)
FALLBACK_CHAR = "?"
_REPLACEMENTS = {"✓": "yes", "✗": "no", "→": "->", "←": "<-", "↻": "(resumable)"}


@dataclass(frozen=True)
class FontSet:
    """The registered family: where its files came from and which characters it can draw."""

    directory: Path
    files: tuple[str, str, str, str]
    code_points: frozenset[int]


_registered: FontSet | None = None


def register_fonts() -> FontSet:
    """Register the report family once (Vera from reportlab, else DejaVu); InputError if none."""
    global _registered
    if _registered is not None:
        return _registered
    for directory, files in _CANDIDATES:
        if all((directory / name).is_file() for name in files):
            break
    else:
        raise InputError(
            f"No font to embed in the report: reportlab's own Vera fonts are missing from "
            f"{_REPORTLAB_FONTS} and DejaVu is not in {_DEJAVU}. Reinstall reportlab "
            "(pip install --force-reinstall reportlab) or install fonts-dejavu-core."
        )
    names = (REGULAR, BOLD, ITALIC, BOLD_ITALIC)
    fonts = [TTFont(name, str(directory / file)) for name, file in zip(names, files, strict=True)]
    for font in fonts:
        pdfmetrics.registerFont(font)
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, ITALIC)
    addMapping(REGULAR, 1, 1, BOLD_ITALIC)
    code_points = frozenset(fonts[0].face.charToGlyph)
    _registered = FontSet(directory, files, code_points)
    return _registered


def safe_text(text: str) -> str:
    """`text` with every character the font cannot draw replaced (never an empty box)."""
    code_points = register_fonts().code_points
    out = []
    for char in text:
        if ord(char) in code_points or char in "\n\t":
            out.append(char)
        else:
            out.append(_REPLACEMENTS.get(char, FALLBACK_CHAR))
    return "".join(out)
