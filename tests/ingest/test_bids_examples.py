"""Every BIDS-EMG example dataset imports; what is expected is read from its files with
pyedflib and csv (independent readers), never written down here."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from microexp_tui.ingest import ImportReport, import_path
from microexp_tui.paths import shared_datasets_dir
from microexp_tui.store.sessions import SessionStore

EXAMPLES = shared_datasets_dir() / "bids-emg-examples"
DATASETS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) if EXAMPLES.is_dir() else []
UNIT_NAMES = {"µV": "uV", "uV": "uV", "mV": "mV", "V": "V"}


def test_the_examples_are_there(datasets_dir: Path) -> None:
    assert DATASETS, f"no BIDS-EMG examples under {datasets_dir / 'bids-emg-examples'}"


def _entities(path: Path) -> set[str]:
    """The key-value entities of a BIDS file name."""
    return {part for part in path.name.split(".")[0].split("_") if "-" in part}


def _sidecar(data_file: Path, root: Path, suffix: str) -> Path | None:
    """The nearest `*_<suffix>.tsv` whose entities are all the data file's (BIDS inheritance)."""
    folder = data_file.parent
    while True:
        found = [p for p in folder.glob(f"*_{suffix}.tsv") if _entities(p) <= _entities(data_file)]
        if found:
            return max(found, key=lambda p: len(_entities(p)))
        if folder == root:
            return None
        folder = folder.parent


def _rows(path: Path) -> list[dict[str, str]]:
    """A TSV file's rows."""
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ImportReport]]:
    """Every example dataset imported into one database."""
    db = tmp_path_factory.mktemp("examples") / "s.sqlite"
    with SessionStore.open(db) as store:
        reports = {name: import_path(EXAMPLES / name, store) for name in DATASETS}
    return db, reports


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_emg_recording_imports_as_its_files_say(
    dataset: str, imported: tuple[Path, dict[str, ImportReport]]
) -> None:
    db, reports = imported
    report = reports[dataset]
    root = EXAMPLES / dataset
    by_source = {s.source: s for s in report.sessions}
    refused = dict(report.refused)
    data_files = sorted(p for p in root.rglob("*_emg.*") if p.suffix.lower() in (".edf", ".bdf"))
    assert data_files
    for data_file in data_files:
        shown = data_file.relative_to(root).as_posix()
        try:
            reader = pyedflib.EdfReader(str(data_file))
        except OSError:
            assert shown in refused and str(data_file) in refused[shown]
            continue
        with reader, SessionStore.open(db) as store:
            session = by_source[shown]
            record = store.session(session.session_id)
            labels = reader.getSignalLabels()
            channels_tsv = _sidecar(data_file, root, "channels")
            emg = [
                labels.index(row["name"])
                for row in (_rows(channels_tsv) if channels_tsv else [])
                if row["type"].upper() == "EMG" and row["name"] in labels
            ]
            assert record.status == "imported" and record.source == "import"
            assert record.channel_count == len(emg)
            assert record.sample_rate_hz == reader.getSampleFrequency(emg[0])
            assert [c.unit for c in record.channels] == [
                UNIT_NAMES[reader.getPhysicalDimension(i)] for i in emg
            ]
            stored = store.read_samples(record.id)
            digital = np.stack([reader.readSignal(i, digital=True) for i in emg], axis=1)
            assert not stored.missing.any()
            np.testing.assert_array_equal(stored.values, digital)
            physical = np.stack([reader.readSignal(i) for i in emg], axis=1)
            converted = np.stack(
                [c.to_physical(stored.values[:, c.index]) for c in record.channels], axis=1
            )
            np.testing.assert_allclose(converted, physical, rtol=1e-9, atol=1e-9)
            events_tsv = _sidecar(data_file, root, "events")
            onsets = [float(r["onset"]) for r in (_rows(events_tsv) if events_tsv else [])]
            inside = [o for o in onsets if 0 <= round(o * record.sample_rate_hz) < len(digital)]
            assert session.events == len(store.markers(record.id)) == len(inside)
            assert session.events_outside == len(onsets) - len(inside)
            (entry,) = [
                e for e in store.audit_entries(record.id) if e["action"] == "session.import"
            ]
            hashes = json.loads(entry["detail"])["files_sha256"]
            assert hashes[shown] == hashlib.sha256(data_file.read_bytes()).hexdigest()


@pytest.mark.parametrize("dataset", DATASETS)
def test_other_modalities_are_named_as_skipped(
    dataset: str, imported: tuple[Path, dict[str, ImportReport]]
) -> None:
    root = EXAMPLES / dataset
    others = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.parent.name in ("eeg", "motion") and p.name.endswith(("_eeg.edf", "_motion.tsv"))
    ]
    skipped = " ".join(imported[1][dataset].skipped)
    assert all(name in skipped for name in others)
