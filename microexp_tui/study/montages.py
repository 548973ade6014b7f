"""Montage presets (templates/montages/*.toml): channel -> muscle, sensor kind, action units."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from microexp_tui.domain.channels import SENSOR_KINDS, ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE, Muscle
from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir

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
    """Read a preset by name; InputError naming the file and channel on a bad entry."""
    path = directory / f"{name}.toml"
    if not path.exists():
        shipped = ", ".join(available_presets(directory)) or "none"
        raise InputError(f"Unknown montage preset {name!r}. Shipped presets: {shipped}.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err}). Fix the file and try again.") from err
    raw_channels = data.get("channel")
    if not isinstance(raw_channels, list) or not raw_channels:
        raise InputError(f"{path}: no [[channel]] entries; a montage lists at least one channel.")
    channels = tuple(_channel(raw, index, path) for index, raw in enumerate(raw_channels))
    return MontagePreset(name, str(data.get("title", name)), channels)


def _channel(raw: Any, index: int, path: Path) -> ChannelSpec:
    """One validated [[channel]] entry."""
    where = f"{path}: channel {index + 1}"
    if not isinstance(raw, dict):
        raise InputError(f"{where} must be a table.")
    kind = raw.get("sensor_kind", "envelope")
    if kind not in SENSOR_KINDS:
        raise InputError(f"{where}, field 'sensor_kind' is {kind!r}; use one of {SENSOR_KINDS}.")
    muscle = raw.get("muscle")
    if muscle is not None and not isinstance(muscle, str):
        raise InputError(f"{where}, field 'muscle' must be text.")
    units = raw.get("action_units", [])
    if not isinstance(units, list) or not all(isinstance(u, str) and u for u in units):
        raise InputError(f"{where}, field 'action_units' must be a list of names like \"AU12\".")
    return ChannelSpec(
        index=index,
        label=str(raw.get("label", f"EMG{index + 1}")),
        muscle=muscle or None,
        sensor_kind=kind,
        action_units=tuple(units),
    )


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
