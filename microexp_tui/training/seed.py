"""Loader of seed-format CSV folders: one file per participant, rows already envelopes at ~20 Hz.

Format (the article's data, ../shared/datasets/seed-microexpressions/README.md):
`timestamp,emotion_label,s1..s8,muscle_name`, one 8-channel envelope sample per row in ADC
counts. The rows are used as they are: they already are smoothed envelopes at the model's
row rate, so the live chain's 1 kHz filters do not apply (its notches are above their
Nyquist frequency and its resting floor is ~0 in this data). Each participant is calibrated
from their own rows without labels (`estimate_calibration`).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.dsp.calibration import estimate_calibration
from microexp_tui.errors import InputError
from microexp_tui.inference.card import ChannelInfo
from microexp_tui.training.dataset import LABELS, Dataset, Recording

SEED_COLUMNS = ("timestamp", "emotion_label", *(f"s{i}" for i in range(1, 9)), "muscle_name")
ADC_MAX_COUNTS = 1023


def seed_channels() -> tuple[ChannelInfo, ...]:
    """The seed montage: s1..s8 with their muscles, all envelope sensors."""
    return tuple(
        ChannelInfo(f"s{i + 1}", muscle.name, "envelope", muscle.action_units)
        for i, muscle in enumerate(SEED_MONTAGE)
    )


def _parse_row(path: Path, line: int, row: list[str]) -> tuple[int, list[int]]:
    """Label index and the eight counts of one CSV row; InputError naming file and line."""
    if len(row) != len(SEED_COLUMNS):
        raise InputError(
            f"{path}, line {line}: expected {len(SEED_COLUMNS)} columns, found {len(row)}"
        )
    label = row[1].strip().lower()
    if label not in LABELS[1:]:
        raise InputError(
            f"{path}, line {line}: emotion_label {row[1]!r} is not one of {', '.join(LABELS[1:])}"
        )
    try:
        counts = [int(cell) for cell in row[2:10]]
    except ValueError:
        raise InputError(f"{path}, line {line}: s1..s8 must be integer ADC counts") from None
    if min(counts) < 0 or max(counts) > ADC_MAX_COUNTS:
        raise InputError(f"{path}, line {line}: counts must lie in 0..{ADC_MAX_COUNTS}")
    return LABELS.index(label), counts


def load_seed_file(path: Path) -> Recording:
    """One participant's rows, labels and blocks from a seed-format CSV file."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(c.strip() for c in header) != SEED_COLUMNS:
                raise InputError(f"{path}, line 1: expected the header {','.join(SEED_COLUMNS)}")
            parsed = [_parse_row(path, reader.line_num, row) for row in reader if row]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"Cannot read the seed file {path}: {err}") from err
    if not parsed:
        raise InputError(f"{path}: the file has a header but no rows")
    labels = np.asarray([p[0] for p in parsed], dtype=np.int8)
    rows = np.asarray([p[1] for p in parsed], dtype=np.float32)
    segments = np.concatenate([[0], np.cumsum(np.diff(labels) != 0)]).astype(np.int32)
    return Recording(path.stem, str(path), rows, labels, segments, estimate_calibration(rows))


def content_hash(files: Sequence[Path]) -> str:
    """SHA-256 over the names and bytes of the files, in the given order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_seed_folder(folder: Path, participants: Sequence[str] | None = None) -> Dataset:
    """Every `*.csv` of a folder as one participant each (file stem = participant name)."""
    if not folder.is_dir():
        raise InputError(
            f"{folder} is not a folder of seed-format CSV files (one per participant)."
        )
    files = sorted(folder.glob("*.csv"))
    if participants:
        wanted = {p.casefold() for p in participants}
        unknown = wanted - {f.stem.casefold() for f in files}
        if unknown:
            raise InputError(
                f"No CSV file for participant(s) {', '.join(sorted(unknown))} in {folder}; "
                f"found {', '.join(f.stem for f in files) or 'none'}."
            )
        files = [f for f in files if f.stem.casefold() in wanted]
    if not files:
        raise InputError(f"{folder} holds no .csv files; give a folder of seed-format CSV files.")
    recordings = tuple(load_seed_file(path) for path in files)
    return Dataset(
        kind="seed-csv",
        path=str(folder),
        recordings=recordings,
        channels=seed_channels(),
        content_sha256=content_hash(files),
        description=(
            f"{len(files)} seed-format CSV files ({', '.join(f.name for f in files)}) from "
            f"{folder}: {sum(len(r.labels) for r in recordings)} rows of 8-channel envelope "
            "counts at ~20 Hz, 2000-row blocks of happy, surprise, disgust, sadness, fear, anger"
        ),
    )
