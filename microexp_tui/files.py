"""What every layer asks of a file it reads or writes: its SHA-256, read in blocks."""

from __future__ import annotations

import hashlib
from pathlib import Path

READ_BYTES = 4 * 1024 * 1024
"""Block size for hashing: large enough to be fast, small enough not to hold a file."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (audit entries, manifests, model cards, imports)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()
