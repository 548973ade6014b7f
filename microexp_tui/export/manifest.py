"""MANIFEST.sha256: the SHA-256 of every file of an export, in `sha256sum -c` format.

Written last, inside the temporary folder, so a folder with a manifest was completed;
`verify` recomputes every hash and also reports files the manifest does not list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from microexp_tui.errors import InputError
from microexp_tui.files import file_sha256

MANIFEST_NAME = "MANIFEST.sha256"


def export_files(root: Path) -> list[str]:
    """Every file under `root` but the manifest, as sorted POSIX relative paths."""
    files = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(name for name in files if name != MANIFEST_NAME)


def write_manifest(root: Path) -> tuple[int, int]:
    """Write the manifest of every file under `root`; return (files, bytes) covered."""
    lines, total_bytes = [], 0
    names = export_files(root)
    for name in names:
        if "\n" in name or "\\" in name:
            raise InputError(f"File name {name!r} cannot be listed in a manifest.")
        path = root / name
        total_bytes += path.stat().st_size
        lines.append(f"{file_sha256(path)}  {name}")
    (root / MANIFEST_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(names), total_bytes


@dataclass
class VerifyReport:
    """What `verify` found: files checked and every problem."""

    root: Path
    checked: int = 0
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every listed file matches and nothing else is present."""
        return not (self.mismatched or self.missing or self.unlisted)

    def problems(self) -> list[str]:
        """One line per problem."""
        return (
            [f"changed: {name}" for name in self.mismatched]
            + [f"missing: {name}" for name in self.missing]
            + [f"not in the manifest: {name}" for name in self.unlisted]
        )


def read_manifest(root: Path) -> dict[str, str]:
    """The manifest's hash per file; InputError when there is none (the export is unfinished)."""
    path = root / MANIFEST_NAME
    if not root.is_dir():
        raise InputError(f"{root} is not a folder; give the folder an export created.")
    if not path.is_file():
        raise InputError(
            f"{root} has no {MANIFEST_NAME}: it is not a finished export (an interrupted export "
            "never gets one). Export again."
        )
    entries: dict[str, str] = {}
    for number, line in enumerate(_manifest_text(path).splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise InputError(f"{path} line {number} is not '<sha256>  <file>'; it was altered.")
        if name.startswith("/") or ".." in name.split("/"):
            raise InputError(f"{path} line {number} names a file outside the export: {name!r}.")
        entries[name] = digest.lower()
    return entries


def _manifest_text(path: Path) -> str:
    """The manifest's text; InputError when it cannot be read or is not UTF-8 text."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path} is not a manifest (byte {err.start} is not UTF-8 text); it was altered or "
            "replaced, so the export cannot be trusted. Export again."
        ) from err
    except OSError as err:
        raise InputError(f"Cannot read {path}: {err.strerror or err}.") from err


def verify(root: Path) -> VerifyReport:
    """Recompute every hash of an export against its manifest."""
    entries = read_manifest(root)
    report = VerifyReport(root)
    present = set(export_files(root))
    for name, digest in entries.items():
        path = root / name
        if name not in present:
            report.missing.append(name)
        elif file_sha256(path) != digest:
            report.mismatched.append(name)
        report.checked += 1
    report.unlisted = sorted(present - set(entries))
    return report
