"""Keyed pseudonyms: subject labels and per-participant date shifts from a site secret.

A label is HMAC-SHA256(secret, "subject:" + participant code), hex, truncated to
`LABEL_HEX_CHARS`; the same secret gives the same label in every export, and without the
secret a label cannot be linked back to a code (nor tried against guessed codes). The
participant code is the site's own identifier of a person (the database row id is local to
one file, so two databases would collide). The secret lives in a file outside the export,
created owner-only (0600) on first use and never copied into an export.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from microexp_tui.errors import InputError
from microexp_tui.paths import tighten_to_owner

log = logging.getLogger(__name__)

LABEL_HEX_CHARS = 12
"""48 bits: a collision among 10,000 participants has a probability of about 2e-7."""

SECRET_BYTES = 32
MIN_SECRET_BYTES = 16
SECRET_FILE_NAME = "export-secret.key"

DATE_SHIFT_BASE_WEEKS = 8348
"""About 160 years back: real dates (2000-2060) land before 1900, the BIDS convention for
shifted dates, and can never equal a real date (so the PII scan cannot mistake them)."""
DATE_SHIFT_SPREAD_WEEKS = 520
"""A further keyed 0-519 weeks, so the shift differs per participant (whole weeks keep the
weekday)."""


@dataclass(frozen=True)
class SiteSecret:
    """The key of every pseudonym in an export, with the file it came from."""

    key: bytes
    path: Path
    created: bool
    """True when this run created the file (say so: without it labels change)."""

    def subject_label(self, participant_code: str) -> str:
        """The BIDS subject label (lower-case hex) of a participant code."""
        return self._digest("subject", participant_code)[:LABEL_HEX_CHARS]

    def date_shift_days(self, participant_code: str) -> int:
        """Days added to every date of this participant (negative, whole weeks)."""
        spread = int(self._digest("date-shift", participant_code)[:8], 16) % DATE_SHIFT_SPREAD_WEEKS
        return -7 * (DATE_SHIFT_BASE_WEEKS + spread)

    def shift(self, participant_code: str, moment: datetime) -> datetime:
        """A participant's date-time moved by their keyed shift (time of day kept)."""
        return moment + timedelta(days=self.date_shift_days(participant_code))

    def _digest(self, purpose: str, participant_code: str) -> str:
        """HMAC-SHA256 hex digest of a purpose-tagged, normalised participant code."""
        message = f"{purpose}:{participant_code.strip().upper()}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def default_secret_path() -> Path:
    """Where the site secret lives unless --secret-file says otherwise (the data directory)."""
    from microexp_tui.paths import data_dir

    return data_dir() / SECRET_FILE_NAME


def load_or_create_secret(path: Path | None, export_dir: Path) -> SiteSecret:
    """Read the site secret (creating it 0600 if missing); refuse one inside the export."""
    path = (path or default_secret_path()).expanduser().resolve()
    _check_outside(path, export_dir.expanduser().resolve())
    if not path.exists():
        return SiteSecret(_create(path), path, created=True)
    return SiteSecret(_read(path), path, created=False)


def _check_outside(path: Path, export_dir: Path) -> None:
    """The secret must never sit inside the folder being exported."""
    if path == export_dir or export_dir in path.parents:
        raise InputError(
            f"The site secret {path} is inside the export folder {export_dir}; it would be "
            "published with the data. Keep it elsewhere (default: the data directory) and "
            "pass that path with --secret-file."
        )


def _create(path: Path) -> bytes:
    """Write a new random secret as hex text, owner-only, failing if the file appears."""
    key_hex = secrets.token_hex(SECRET_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key_hex + "\n")
    except OSError as err:
        raise InputError(
            f"Cannot create the site secret {path}: {err.strerror or err}. Pass --secret-file "
            "with a writable location outside the export folder."
        ) from err
    return key_hex.encode("ascii")


def _read(path: Path) -> bytes:
    """Read an existing secret; refuse a file others can read or one too short to be a key."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes().strip()
    except OSError as err:
        raise InputError(f"Cannot read the site secret {path}: {err.strerror or err}.") from err
    if not stat.S_ISREG(mode):
        raise InputError(f"The site secret {path} is not a regular file.")
    if mode & 0o077:
        _make_owner_only(path, stat.S_IMODE(mode))
    if len(data) < MIN_SECRET_BYTES:
        raise InputError(
            f"The site secret {path} holds {len(data)} bytes; a key needs at least "
            f"{MIN_SECRET_BYTES}. Restore the site's secret file, or move this one aside to "
            "have a new one created (labels will then differ from earlier exports)."
        )
    return data


def _make_owner_only(path: Path, mode: int) -> None:
    """Tighten a secret other users could read to 0600, with a notice; InputError if we cannot."""
    try:
        tighten_to_owner(path)
    except OSError as err:
        raise InputError(
            f"The site secret {path} can be read by other users (mode {mode:o}) and this user "
            f"cannot change that ({err.strerror or err}); anyone with it can link labels to "
            f"participant codes. Run `chmod 600 {path}` as its owner."
        ) from err
    log.warning(
        "the site secret %s could be read by other users (mode %o); it is now owner-only "
        "(0600). Anyone who copied it meanwhile can link labels to participant codes.",
        path,
        mode,
    )
