"""Where things are: the data directory, the shipped templates and models, the seed dataset."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "microexp-tui"
DATA_DIR_ENV = "MICROEXP_DATA_DIR"
DATABASE_NAME = "sessions.sqlite"
OWNER_ONLY_FILE_MODE = 0o600
OWNER_ONLY_DIR_MODE = 0o700
GROUP_AND_OTHER_BITS = 0o077


def data_dir() -> Path:
    """The data directory: $MICROEXP_DATA_DIR, else the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def database_path_in(directory: Path) -> Path:
    """The session database in a data folder, creating the folder (0700) on first use.

    OSError (the path is a file, unreadable, unwritable) is left to the caller, which says
    where the folder came from.
    """
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(20, "it is a file, not a folder", str(directory))
    directory.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_DIR_MODE)
    if not os.access(directory, os.R_OK | os.W_OK | os.X_OK):
        raise PermissionError(13, "this user cannot read and write there", str(directory))
    return directory / DATABASE_NAME


def tighten_to_owner(path: Path) -> bool:
    """Remove the group and other permission bits of an existing path; True when it had any."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if not mode & GROUP_AND_OTHER_BITS:
        return False
    os.chmod(path, mode & ~GROUP_AND_OTHER_BITS)
    return True


def tighten_tree_to_owner(root: Path) -> None:
    """Make every folder under `root` 0700 and every file 0600, whatever the umask was."""
    os.chmod(root, OWNER_ONLY_DIR_MODE)
    for folder, folders, files in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(folder, name), OWNER_ONLY_DIR_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), OWNER_ONLY_FILE_MODE)


_CHECKOUT_ROOT = Path(__file__).resolve().parents[1]
_INSTALLED_ROOT = Path(sys.prefix) / "share" / "microexp-tui"


def resource_dir(*parts: str) -> Path:
    """A shipped folder: beside the package in a checkout or editable install, else installed."""
    in_checkout = _CHECKOUT_ROOT.joinpath(*parts)
    if in_checkout.is_dir():
        return in_checkout
    return _INSTALLED_ROOT.joinpath(*parts)


SEED_DIR_ENV = "MICROEXP_SEED_DIR"
DATASETS_DIR_ENV = "MICROEXP_DATASETS_DIR"
_DEFAULT_DATASETS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
_DEFAULT_SEED_DIR = _DEFAULT_DATASETS_DIR / "seed-microexpressions"


def shared_datasets_dir() -> Path:
    """$MICROEXP_DATASETS_DIR, else ../shared/datasets beside the checkout (read in place)."""
    override = os.environ.get(DATASETS_DIR_ENV)
    return Path(override) if override else _DEFAULT_DATASETS_DIR


def seed_dataset_dir() -> Path:
    """$MICROEXP_SEED_DIR, else ../shared/datasets/seed-microexpressions beside the checkout."""
    override = os.environ.get(SEED_DIR_ENV)
    return Path(override) if override else _DEFAULT_SEED_DIR
