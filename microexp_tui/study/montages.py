"""Montage presets (templates/montages/*.toml): channel -> muscle, sensor kind, action units."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from microexp_tui.device.protocol import MAX_CHANNELS
from microexp_tui.domain.channels import SENSOR_KINDS, ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE, Muscle
from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir
from microexp_tui.schema.problems import validate_file
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import FileModel, Line, Title, one_of

MONTAGES_DIR = resource_dir("templates", "montages")
DEFAULT_PRESET = "seed8"
MUSCLES: tuple[Muscle, ...] = SEED_MONTAGE
"""Muscles the editor offers (the seed article's eight)."""


@dataclass(frozen=True)
class MontagePreset:
    """A named montage: one spec per listed channel (later channels stay unassigned)."""

    name: str
    title: str
    channels: tuple[ChannelSpec, ...]


def available_presets(directory: Path = MONTAGES_DIR) -> list[str]:
    """Names of the shipped montage presets."""
    return sorted(path.stem for path in directory.glob("*.toml"))


def muscle_named(name: str | None) -> Muscle | None:
    """The known muscle with this name (case-insensitive), or None."""
    if not name:
        return None
    for muscle in MUSCLES:
        if muscle.name.lower() == name.strip().lower():
            return muscle
    return None


def load_preset(name: str, directory: Path = MONTAGES_DIR) -> MontagePreset:
    """Read a preset by name; InputError naming the file, line and field of a bad entry."""
    path = directory / f"{name}.toml"
    if not path.exists():
        shipped = ", ".join(available_presets(directory)) or "none"
        raise InputError(f"Unknown montage preset {name!r}. Shipped presets: {shipped}.")
    file = read_person_file(path, "montage preset")
    return validate_file(MontageFile, file, MONTAGE_HINT).to_preset(name)


MONTAGE_HINT = "Fix the file and try again (templates/montages/seed8.toml shows the format)."
MAX_ACTION_UNITS = 16
ActionUnit = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^\S+$")]
"""An action unit name such as "AU12"."""


class ChannelFile(FileModel):
    """One `[[channel]]` of a montage preset: what the board input at this position records."""

    label: Line | None = None
    """Shown in traces and exports; `EMG<n>` when left out."""
    muscle: Line | None = None
    """The muscle under the electrodes; empty or left out for an unassigned channel."""
    sensor_kind: Annotated[str, AfterValidator(one_of(SENSOR_KINDS))] = "envelope"
    action_units: Annotated[list[ActionUnit], Field(max_length=MAX_ACTION_UNITS)] = Field(
        default_factory=list
    )

    def to_spec(self, index: int) -> ChannelSpec:
        """The channel spec of board input `index` (0-based)."""
        return ChannelSpec(
            index=index,
            label=self.label or f"EMG{index + 1}",
            muscle=self.muscle or None,
            sensor_kind=self.sensor_kind,
            action_units=tuple(self.action_units),
        )


class MontageFile(FileModel):
    """A montage preset file: a title and one `[[channel]]` per board input, in order."""

    title: Title | None = None
    """Shown in the preset list; the preset's name when left out."""
    channel: Annotated[list[ChannelFile], Field(min_length=1, max_length=MAX_CHANNELS)]

    def to_preset(self, name: str) -> MontagePreset:
        """The preset this file describes."""
        specs = tuple(entry.to_spec(index) for index, entry in enumerate(self.channel))
        return MontagePreset(name, self.title or name, specs)


def montage_for_board(preset: MontagePreset, channel_count: int) -> list[ChannelSpec]:
    """The preset fitted to a board: extra preset entries dropped, missing ones unassigned."""
    specs = [replace(spec, index=i) for i, spec in enumerate(preset.channels[:channel_count])]
    for index in range(len(specs), channel_count):
        specs.append(ChannelSpec(index, f"EMG{index + 1}", None, "envelope", ()))
    return specs


SHORT_NAMES = {
    "Zygomaticus major": "Zygomatic",
    "Frontalis": "Frontalis",
    "Levator labii superioris alaeque nasi": "Levator",
    "Depressor anguli oris": "DepAngOris",
    "Corrugator supercilii": "Corrugator",
    "Depressor supercilii": "DepSupercl",
    "Orbicularis oris": "OrbOris",
    "Orbicularis oculi": "OrbOculi",
}
"""Display names of at most 10 characters that still tell the eight muscles apart."""


def short_muscle(name: str | None, width: int = 10) -> str:
    """A short display name of a muscle ("Zygomaticus major" -> "Zygomatic")."""
    if not name:
        return "-"
    short = SHORT_NAMES.get(name, name.split()[0])
    return short if len(short) <= width else short[: width - 1] + "."
