"""Labelled CSV datasets from a folder or a file: the seed layout and the general layout.

The seed layout (the article's data, ../shared/datasets/seed-microexpressions/README.md) is
`timestamp,emotion_label,s1..s8,muscle_name`, one 8-channel envelope sample per row in ADC
counts; the same columns with float values (physical units or features) and any label set,
and the general layout of `table.py`, load the same way. The rows are used as they are:
seed rows already are smoothed envelopes at the model's row rate, so the live chain's 1 kHz
filters do not apply. Each participant is normalised from their own rows without labels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.errors import InputError
from microexp_tui.inference.card import ChannelInfo
from microexp_tui.training.dataset import Dataset
from microexp_tui.training.dataset_file import TableDeclaration, read_declaration
from microexp_tui.training.table import (
    PARTICIPANT_COLUMNS,
    SEED_COLUMNS,
    csv_files,
    load_tables,
)

__all__ = ["SEED_COLUMNS", "content_hash", "load_csv_dataset", "load_seed_folder", "seed_channels"]


def seed_channels() -> tuple[ChannelInfo, ...]:
    """The seed montage: s1..s8 with their muscles, all envelope sensors in ADC counts."""
    return tuple(
        ChannelInfo(f"s{i + 1}", muscle.name, "envelope", muscle.action_units)
        for i, muscle in enumerate(SEED_MONTAGE)
    )


def content_hash(files: Sequence[Path]) -> str:
    """SHA-256 over the names and bytes of the files, in the given order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _chosen_files(files: list[Path], participants: Sequence[str], where: Path) -> list[Path]:
    """The files of the named participants (file stem = participant)."""
    wanted = {p.casefold() for p in participants}
    unknown = wanted - {f.stem.casefold() for f in files}
    if unknown:
        raise InputError(
            f"No CSV file for participant(s) {', '.join(sorted(unknown))} in {where}; "
            f"found {', '.join(f.stem for f in files) or 'none'}."
        )
    return [f for f in files if f.stem.casefold() in wanted]


def load_csv_dataset(
    path: Path,
    participants: Sequence[str] | None = None,
    declared: TableDeclaration | None = None,
) -> Dataset:
    """A folder of labelled CSV files (or one file), read as its sidecar and options say."""
    if not path.exists():
        raise InputError(
            f"{path} does not exist; give a folder of labelled CSV files (one per participant, "
            "or with a participant column), a CSV file or a session database."
        )
    folder = path if path.is_dir() else path.parent
    declared = declared or read_declaration(folder)
    files = csv_files(path)
    by_file = not declared.participant_column and not _has_participant_column(files[0])
    if participants and by_file:
        files = _chosen_files(files, participants, path)
    dataset, _ = load_tables(files, declared, path)
    dataset = replace(dataset, content_sha256=content_hash(files))
    return dataset if by_file else dataset.select(participants)


def _has_participant_column(path: Path) -> bool:
    """Whether the file's header has a participant column found without a declaration."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            header = {c.strip() for c in handle.readline().split(",")}
    except (OSError, UnicodeDecodeError):
        return False  # the loader reports it
    return bool(header & set(PARTICIPANT_COLUMNS))


def load_seed_folder(folder: Path, participants: Sequence[str] | None = None) -> Dataset:
    """Every `*.csv` of a folder as one participant each (file stem = participant name)."""
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of labelled CSV files (one per participant).")
    return load_csv_dataset(folder, participants)
