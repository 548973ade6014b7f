"""EDF/BDF files and small BIDS-EMG datasets written with pyedflib, for the import tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyedflib

PATIENT_NAME = "Zoe_Quillfeather"
"""Planted in EDF patient headers: it must never reach the store."""


@dataclass(frozen=True)
class Signal:
    """One signal to write: label, rate, unit, ranges and digital values."""

    label: str
    rate_hz: int
    unit: str
    physical: tuple[float, float]
    digital: tuple[int, int]
    values: np.ndarray


def write_file(
    path: Path,
    signals: Sequence[Signal],
    annotations: Sequence[tuple[float, float, str]] = (),
    *,
    bdf: bool = False,
) -> Path:
    """An EDF+ (or BDF+) file with the signals, the annotations and a planted patient name."""
    kind = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    writer = pyedflib.EdfWriter(str(path), len(signals), kind)
    try:
        writer.setSignalHeaders(
            [
                {
                    "label": s.label,
                    "dimension": s.unit,
                    "sample_frequency": s.rate_hz,
                    "physical_min": s.physical[0],
                    "physical_max": s.physical[1],
                    "digital_min": s.digital[0],
                    "digital_max": s.digital[1],
                    "transducer": "",
                    "prefilter": "",
                }
                for s in signals
            ]
        )
        writer.setPatientName(PATIENT_NAME)
        writer.setPatientCode("PQ-1991")
        writer.setTechnician(PATIENT_NAME)
        for onset, duration, text in annotations:
            writer.writeAnnotation(onset, duration, text)
        writer.writeSamples([np.asarray(s.values, np.int32) for s in signals], digital=True)
    finally:
        writer.close()
    return path


def emg_signals(
    n_channels: int, rate_hz: int, seconds: int, seed: int = 0, *, bdf: bool = False
) -> list[Signal]:
    """Raw-EMG-like digital noise on `n_channels` channels in uV."""
    rng = np.random.default_rng(seed)
    top = 2**23 - 1 if bdf else 2**15 - 1
    dtype = np.int32 if bdf else np.int16
    return [
        Signal(
            f"EMG{c + 1}",
            rate_hz,
            "uV",
            (-5000.0, 5000.0),
            (-top - 1, top),
            np.clip(rng.normal(0, top / 8, rate_hz * seconds), -top - 1, top).astype(dtype),
        )
        for c in range(n_channels)
    ]


def write_tsv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """A BIDS TSV file (n/a for None)."""
    lines = ["\t".join(header)]
    lines += ["\t".join("n/a" if cell is None else str(cell) for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bids_dataset(root: Path, files: dict[str, Path | str]) -> Path:
    """A folder with dataset_description.json; `files` maps relative paths to text."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(
        '{"Name": "test", "BIDSVersion": "1.11.1"}', encoding="utf-8"
    )
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(text), encoding="utf-8")
    return root
