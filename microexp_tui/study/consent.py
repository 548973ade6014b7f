"""Consent texts shipped in templates/consent/: shown to the participant, hash stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir

CONSENT_DIR = resource_dir("templates", "consent")
DEFAULT_CONSENT = "default"


@dataclass(frozen=True)
class ConsentText:
    """A consent template: its name, text and the SHA-256 stored with each confirmation."""

    name: str
    text: str
    sha256: str


def load_consent(name: str = DEFAULT_CONSENT, directory: Path = CONSENT_DIR) -> ConsentText:
    """Read a consent template (Markdown) by name."""
    path = directory / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            f"Cannot read the consent text {path}: {err.strerror or err}. Restore the file "
            "(it ships in templates/consent/) before recording."
        ) from err
    return ConsentText(name, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
