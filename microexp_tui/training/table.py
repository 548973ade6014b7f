"""Labelled CSV tables as a training dataset: the seed layout and the general layout.

A dataset is a folder of CSV files (or one CSV file). Each file has a header; its columns
are a label column, optionally a participant column (else the file is one participant, named
by its stem), ignored columns, and value columns (the channels, one row a sample or a feature
vector). `dataset.toml` beside the files may declare the columns, units, sensor kind, rate and
normalisation (see `dataset_file.py`); command-line options override it. Without a sidecar,
the label column is `emotion_label` or `label`, a column named `participant`,
`participant_id`, `subject` or `subject_id` names the participant, `timestamp` and
`muscle_name` are ignored
and every other column is a channel; files whose header is the seed layout get the seed
montage's muscles. Any label set is accepted; rows labelled neutral make neutral a class.

Units: declared, else `counts` when every value is a whole number within 0..1023 (ADC-count
envelopes, normalised to each participant's calibrated range), else `a.u.` (arbitrary units:
each participant standardised from their own rows, see `inference.normalisation`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from microexp_tui.domain.calibration import COUNTS
from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.dsp.calibration import estimate_calibration
from microexp_tui.errors import InputError
from microexp_tui.inference.card import ChannelInfo
from microexp_tui.inference.normalisation import (
    RANGE,
    STANDARDISE,
    NormalisationSpec,
    detect_log_channels,
)
from microexp_tui.training.dataset import MODEL_RATE_HZ, Dataset, Recording
from microexp_tui.training.dataset_file import TableDeclaration

SEED_COLUMNS = ("timestamp", "emotion_label", *(f"s{i}" for i in range(1, 9)), "muscle_name")
LABEL_COLUMNS = ("emotion_label", "label")
"""Label columns found without a declaration, in this order."""
PARTICIPANT_COLUMNS = ("participant", "participant_id", "subject", "subject_id")
"""Participant columns found without a declaration (else each file is one participant)."""
DEFAULT_IGNORED = ("timestamp", "muscle_name")
ADC_MAX_COUNTS = 1023
ARBITRARY_UNIT = "a.u."
MAX_CHANNELS = 4096


@dataclass(frozen=True)
class ParsedTable:
    """One CSV file: its value columns, values, labels and participants, row by row."""

    path: Path
    columns: tuple[str, ...]
    values: np.ndarray
    """(rows, channels) float64."""
    labels: list[str]
    participants: list[str]
    seed_layout: bool


def _label_column(header: list[str], declared: TableDeclaration, path: Path) -> str:
    """The declared label column, or the first known one in the header."""
    wanted = (declared.label_column,) if declared.label_column else LABEL_COLUMNS
    for name in wanted:
        if name in header:
            return name
    raise InputError(
        f"{path}, line 1: no label column {' or '.join(repr(w) for w in wanted)} in the header "
        f"({','.join(header)}); name it with label_column in {'dataset.toml'} or --label-column."
    )


def _value_columns(header: list[str], used: set[str], declared: TableDeclaration) -> list[str]:
    """The declared channel columns, or every column not used otherwise, in file order."""
    if declared.channels:
        return [c.column for c in declared.channels]
    ignored = set(declared.ignore_columns or DEFAULT_IGNORED)
    return [c for c in header if c and c not in used and c not in ignored]  # "": trailing comma


def _numbers(path: Path, rows: list[list[str]], index: list[int], names: list[str]) -> np.ndarray:
    """The value cells as floats; InputError naming the line and column of the first bad one."""
    try:
        values = np.asarray([[row[i] for i in index] for row in rows], dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and np.isfinite(values).all():
        return values
    for line, row in enumerate(rows, start=2):
        for i, name in zip(index, names, strict=True):
            try:
                ok = math.isfinite(float(row[i]))
            except ValueError:
                ok = False
            if not ok:
                raise InputError(
                    f"{path}, line {line}: column {name} is {row[i]!r}, not a finite number; "
                    "every channel value must be a number (drop or fill rows with missing values)."
                )
    raise InputError(f"{path}: the channel values are not numbers")  # pragma: no cover


def parse_table(path: Path, declared: TableDeclaration) -> ParsedTable:
    """Read one CSV file; InputError naming the file, line and column for any problem."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            rows = [row for row in reader if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"Cannot read the CSV file {path}: {err}") from err
    if not header:
        raise InputError(f"{path} is empty; a labelled CSV file needs a header line.")
    label = _label_column(header, declared, path)
    found = [c for c in PARTICIPANT_COLUMNS if c in header]
    who = declared.participant_column or (found[0] if found else None)
    if who and who not in header:
        raise InputError(f"{path}, line 1: no participant column {who!r} in the header.")
    names = _value_columns(header, {label, who or label}, declared)
    missing = [n for n in names if n not in header]
    if missing or not names or len(names) > MAX_CHANNELS:
        raise InputError(
            f"{path}, line 1: "
            + (f"no column {', '.join(missing)}" if missing else f"{len(names)} channel columns")
            + f"; the header is {','.join(header)}. Declare the channel columns in dataset.toml."
        )
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise InputError(
                f"{path}, line {line}: expected {len(header)} columns, found {len(row)}"
            )
    if not rows:
        raise InputError(f"{path}: the file has a header but no rows")
    index = [header.index(n) for n in names]
    values = _numbers(path, rows, index, names)
    labels = [row[header.index(label)].strip().casefold() for row in rows]
    if "" in labels:
        line = labels.index("") + 2
        raise InputError(f"{path}, line {line}: the label column {label} is empty.")
    participants = (
        [row[header.index(who)].strip() for row in rows] if who else [path.stem] * len(rows)
    )
    if "" in participants:
        line = participants.index("") + 2
        raise InputError(f"{path}, line {line}: the participant column {who} is empty.")
    seed = tuple(header) == SEED_COLUMNS
    return ParsedTable(path, tuple(names), values, labels, participants, seed)


def label_set(tables: Sequence[ParsedTable], neutral_label: str) -> tuple[str, ...]:
    """Neutral first, then every other label in order of first appearance."""
    seen = dict.fromkeys(label for table in tables for label in table.labels)
    seen.pop(neutral_label, None)
    return (NEUTRAL, *seen)


def _units(tables: Sequence[ParsedTable], declared: TableDeclaration) -> list[str]:
    """Each channel's unit: declared, else counts for whole numbers 0..1023, else a.u."""
    per_channel = {c.column: c.unit for c in declared.channels}
    whole = all(
        bool(np.all(t.values == np.round(t.values)))
        and float(t.values.min()) >= 0
        and float(t.values.max()) <= ADC_MAX_COUNTS
        for t in tables
    )
    guess = COUNTS if whole else ARBITRARY_UNIT
    return [per_channel.get(name) or declared.unit or guess for name in tables[0].columns]


def _channels(tables: Sequence[ParsedTable], declared: TableDeclaration) -> tuple[ChannelInfo, ...]:
    """Channel names, muscles (declared, else the seed montage's for the seed layout), units."""
    names = tables[0].columns
    muscles = {c.column: c.muscle for c in declared.channels}
    seed = all(t.seed_layout for t in tables) and not declared.channels
    units = _units(tables, declared)
    out = []
    for i, name in enumerate(names):
        muscle = SEED_MONTAGE[i] if seed else None
        out.append(
            ChannelInfo(
                name,
                muscles.get(name) or (muscle.name if muscle else name),
                declared.sensor_kind,
                muscle.action_units if muscle else (),
                units[i],
            )
        )
    return tuple(out)


def _recordings(
    tables: Sequence[ParsedTable], labels: tuple[str, ...], neutral: str, counts: bool
) -> list[Recording]:
    """One recording per participant per file, rows in file order, a segment per label run."""
    out = []
    for table in tables:
        who = np.asarray(table.participants)
        for person in dict.fromkeys(table.participants):
            mask = who == person
            names = [table.labels[i] for i in np.flatnonzero(mask)]
            index = np.asarray([0 if n == neutral else labels.index(n) for n in names], np.int16)
            rows = table.values[mask].astype(np.float32)
            segments = np.concatenate([[0], np.cumsum(np.diff(index) != 0)]).astype(np.int32)
            calibration = estimate_calibration(rows) if counts else None
            out.append(Recording(person, str(table.path), rows, index, segments, calibration))
    return out


def normalisation_for(
    recordings: Sequence[Recording], channels: Sequence[ChannelInfo], declared: TableDeclaration
) -> NormalisationSpec:
    """Ranges for ADC counts (auto), else standardisation with declared or detected logs."""
    counts = all(c.unit == COUNTS for c in channels)
    method = declared.normalisation
    if method == "range" or (method == "auto" and counts):
        if not counts:
            raise InputError(
                "Range normalisation needs ADC-count envelopes but the channels are in "
                f"{', '.join(sorted({c.unit for c in channels}))}; use standardise."
            )
        return NormalisationSpec(RANGE)
    detected = detect_log_channels([r.rows for r in recordings])
    declared_log = {c.column: c.log for c in declared.channels}
    flags = tuple(
        flag if declared_log.get(c.name) is None else bool(declared_log[c.name])
        for c, flag in zip(channels, detected, strict=True)
    )
    return NormalisationSpec(STANDARDISE, flags)


def csv_files(path: Path) -> list[Path]:
    """The CSV files of a folder (sorted) or the one file given."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.csv"))
    if not files:
        raise InputError(f"{path} holds no .csv files; give a folder of labelled CSV files.")
    return files


def load_tables(
    files: Sequence[Path], declared: TableDeclaration, where: Path
) -> tuple[Dataset, list[ParsedTable]]:
    """Labelled CSV files as one dataset (every file must have the same channels)."""
    tables = [parse_table(f, declared) for f in files]
    first = tables[0]
    for table in tables[1:]:
        if table.columns != first.columns:
            raise InputError(
                f"{table.path} has channels {','.join(table.columns)} but {first.path} has "
                f"{','.join(first.columns)}; every file of a dataset needs the same channels."
            )
    channels = _channels(tables, declared)
    labels = label_set(tables, declared.neutral_label)
    counts = all(c.unit == COUNTS for c in channels)
    recordings = _recordings(tables, labels, declared.neutral_label, counts)
    spec = normalisation_for(recordings, channels, declared)
    rate = declared.rate_hz or MODEL_RATE_HZ
    dataset = Dataset(
        kind="seed-csv" if all(t.seed_layout for t in tables) else "csv",
        path=str(where),
        recordings=tuple(recordings),
        channels=channels,
        content_sha256="",
        description=declared.description or _describe(tables, channels, labels, rate, where),
        rate_hz=rate,
        labels=labels,
        normalisation=spec,
    )
    return dataset, tables


def _describe(
    tables: Sequence[ParsedTable],
    channels: Sequence[ChannelInfo],
    labels: tuple[str, ...],
    rate_hz: float,
    where: Path,
) -> str:
    """One sentence saying what was read."""
    rows = sum(t.values.shape[0] for t in tables)
    units = ", ".join(sorted({c.unit for c in channels}))
    return (
        f"{len(tables)} CSV file(s) ({', '.join(t.path.name for t in tables)}) from {where}: "
        f"{rows} rows of {len(channels)} channels in {units} at {rate_hz:g} Hz, labels "
        f"{', '.join(labels)}"
    )


def with_options(
    declared: TableDeclaration,
    unit: str | None = None,
    sensor_kind: str | None = None,
    normalisation: str | None = None,
    label_column: str | None = None,
    participant_column: str | None = None,
) -> TableDeclaration:
    """The sidecar's declaration with the command-line options on top."""
    changes: dict[str, object] = {
        "unit": unit,
        "sensor_kind": sensor_kind,
        "normalisation": normalisation,
        "label_column": label_column,
        "participant_column": participant_column,
    }
    return replace(declared, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
