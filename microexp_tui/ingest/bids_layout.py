"""Where the recordings of a BIDS-EMG dataset (or a single EDF/BDF file) and their sidecars are.

Sidecars are found by the BIDS inheritance principle: the applicable `*_channels.tsv`,
`*_events.tsv` or `*_emg.json` is the one nearest the data file (from its folder up to the
dataset root) whose entities are all entities of the data file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from microexp_tui.errors import InputError

DATA_EXTENSIONS: tuple[str, ...] = (".edf", ".bdf")
"""Files a recording is read from."""
OTHER_MODALITIES: tuple[str, ...] = (
    "eeg",
    "ieeg",
    "meg",
    "motion",
    "physio",
    "stim",
    "nirs",
    "ecg",
    "beh",
)
"""BIDS suffixes of recordings that are not EMG: reported as skipped, never imported."""
OTHER_DATA_EXTENSIONS: tuple[str, ...] = (
    ".edf",
    ".bdf",
    ".vhdr",
    ".set",
    ".fif",
    ".tsv",
    ".tsv.gz",
    ".snirf",
    ".nwb",
)
DATASET_DESCRIPTION = "dataset_description.json"


@dataclass(frozen=True)
class BidsName:
    """A BIDS file name split into its entities (`sub` -> `01`, ...) and its suffix."""

    entities: dict[str, str]
    suffix: str

    @classmethod
    def of(cls, path: Path) -> BidsName:
        """Entities and suffix of a file name such as `sub-01_task-x_emg.edf`."""
        stem = path.name.split(".")[0]
        parts = stem.split("_")
        entities = dict(part.split("-", 1) for part in parts[:-1] if "-" in part)
        last = parts[-1]
        if "-" in last:
            key, value = last.split("-", 1)
            return cls({**entities, key: value}, "")
        return cls(entities, last)


@dataclass(frozen=True)
class Recording:
    """One data file to import, with the dataset root it belongs to (None outside BIDS)."""

    data_file: Path
    root: Path | None

    @property
    def name(self) -> BidsName:
        """The data file's BIDS entities and suffix."""
        return BidsName.of(self.data_file)

    def shown(self) -> str:
        """The data file's path relative to the dataset root (or its name), for messages."""
        if self.root is not None:
            return self.data_file.relative_to(self.root).as_posix()
        return self.data_file.name

    def sidecar(self, suffix: str, extension: str) -> Path | None:
        """The applicable sidecar (e.g. `channels`, `.tsv`) by inheritance, or None."""
        mine = self.name.entities
        folder = self.data_file.parent
        top = self.root or folder
        while True:
            found = [
                (len(BidsName.of(p).entities), p)
                for p in folder.glob(f"*{suffix}{extension}")
                if p.is_file()
                and p.name.endswith(f"{suffix}{extension}")
                and BidsName.of(p).suffix == suffix
                and BidsName.of(p).entities.items() <= mine.items()
            ]
            if found:
                return max(found)[1]
            if folder == top or folder.parent == folder:
                return None
            folder = folder.parent


@dataclass(frozen=True)
class Discovery:
    """What a path holds: EMG recordings to import and other recordings that are skipped."""

    recordings: tuple[Recording, ...]
    skipped: tuple[str, ...]
    """Other modalities' data files, relative to the root, with what they are."""


def dataset_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding dataset_description.json, or None."""
    for folder in (start, *start.parents):
        if (folder / DATASET_DESCRIPTION).is_file():
            return folder
    return None


def discover(path: Path) -> Discovery:
    """The recordings at `path`: a BIDS dataset, subject or session folder, or one file."""
    if not path.exists():
        raise InputError(f"{path} does not exist. Give a BIDS-EMG folder or an EDF/BDF file.")
    if path.is_file():
        if not path.name.lower().endswith(DATA_EXTENSIONS):
            raise InputError(
                f"{path} is not an EDF or BDF file (*.edf, *.bdf); give one, or a BIDS-EMG "
                "dataset folder (root, subject or session)."
            )
        return Discovery((Recording(path, dataset_root(path.parent)),), ())
    root = dataset_root(path) or path
    recordings, skipped = [], []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in file.relative_to(path).parts):
            continue
        if "derivatives" in file.relative_to(root).parts:
            continue
        name = BidsName.of(file)
        lower = file.name.lower()
        if name.suffix in OTHER_MODALITIES and lower.endswith(OTHER_DATA_EXTENSIONS):
            skipped.append(f"{file.relative_to(root).as_posix()} ({name.suffix} recording)")
        elif lower.endswith(DATA_EXTENSIONS):
            recordings.append(Recording(file, root))
    if not recordings:
        raise InputError(
            f"{path} holds no EMG recording (*_emg.edf or *_emg.bdf, or other *.edf/*.bdf)"
            + (f"; only {', '.join(skipped)}" if skipped else "")
            + ". Give a BIDS-EMG dataset folder or an EDF/BDF file."
        )
    return Discovery(tuple(recordings), tuple(skipped))
