"""Fixtures shared across test folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.paths import seed_dataset_dir, shared_datasets_dir


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """The seed article's dataset, read in place; CI has ../shared beside the clone."""
    path = seed_dataset_dir()
    if not (path / "subject_01.csv").exists():
        pytest.fail(f"seed dataset not found at {path}; set MICROEXP_SEED_DIR")
    return path


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """Other people's files (au-real, bids-emg-examples, face-video), read in place."""
    path = shared_datasets_dir()
    if not (path / "README.md").exists():
        pytest.fail(f"shared datasets not found at {path}; set MICROEXP_DATASETS_DIR")
    return path
