"""Where the program keeps its data: the user data directory unless overridden."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "microexp-tui"
DATA_DIR_ENV = "MICROEXP_DATA_DIR"
DATABASE_NAME = "sessions.sqlite"


def data_dir() -> Path:
    """The data directory: $MICROEXP_DATA_DIR, else the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    """The embedded default session database, created with its directory on first use."""
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory / DATABASE_NAME
