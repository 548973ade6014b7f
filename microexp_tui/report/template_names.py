"""Which report templates ship and which papers a report prints on, without reading any template.

Kept apart from `template.py` (pydantic schemas) so `microexp report --help` lists them
without importing pydantic; `template.py` re-exports every name.
"""

from __future__ import annotations

from pathlib import Path

from microexp_tui.paths import resource_dir

TEMPLATES_DIR = resource_dir("templates", "report")
DEFAULT_NAME = "default"
PAPERS: tuple[str, ...] = ("A4", "Letter")


def available_templates(directory: Path = TEMPLATES_DIR) -> list[str]:
    """Names of the shipped templates (file stems), default first."""
    names = sorted(p.stem for p in directory.glob("*.toml"))
    return sorted(names, key=lambda name: name != DEFAULT_NAME)
