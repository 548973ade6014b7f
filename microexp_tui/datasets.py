"""Where the seed article's dataset is read from (in place, never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

SEED_DIR_ENV = "MICROEXP_SEED_DIR"
_DEFAULT_SEED_DIR = (
    Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "seed-microexpressions"
)


def seed_dataset_dir() -> Path:
    """$MICROEXP_SEED_DIR, else ../shared/datasets/seed-microexpressions beside the checkout."""
    override = os.environ.get(SEED_DIR_ENV)
    return Path(override) if override else _DEFAULT_SEED_DIR
