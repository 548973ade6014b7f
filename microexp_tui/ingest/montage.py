"""An imported recording's montage: which signals are EMG, their muscles, units and scaling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.markers import clean_label
from microexp_tui.domain.muscles import Muscle
from microexp_tui.errors import InputError
from microexp_tui.ingest.edf_file import EdfSignal
from microexp_tui.ingest.sidecars import ChannelRow
from microexp_tui.study.montages import MUSCLES

UNIT_SPELLINGS: dict[str, str] = {
    "uv": "uV",
    "µv": "uV",
    "μv": "uV",
    "microv": "uV",
    "microvolt": "uV",
    "microvolts": "uV",
    "mv": "mV",
    "millivolt": "mV",
    "millivolts": "mV",
    "v": "V",
    "volt": "V",
    "volts": "V",
}
"""Spellings of the voltage units (EDF headers, BIDS sidecars) -> the store's names."""
ENVELOPE_WORDS = ("envelope", "rectified", "rms", "smoothed", "integrated")
"""Words of a channel description that say the signal is an envelope, not raw EMG."""
DEFAULT_SENSOR_KIND = "raw"
"""What an EMG channel is when neither its description nor an option says otherwise."""
_SIDE_WORDS = re.compile(r"\b(left|right|l|r|muscles?|m)\b|[^a-z ]")


def normalised_unit(text: str) -> str:
    """A unit as the store names it (`uV`, `mV`, `V`), other units unchanged."""
    return UNIT_SPELLINGS.get(text.strip().lower(), text.strip())


def sensor_kind_of(description: str | None, option: str | None) -> str:
    """`raw` or `envelope`: the option if given, else what the description says, else raw."""
    if option:
        return option
    words = (description or "").lower()
    if any(word in words for word in ENVELOPE_WORDS):
        return "envelope"
    return DEFAULT_SENSOR_KIND


def _plain(text: str) -> str:
    """A muscle name reduced to its words (no side, no 'muscle', no punctuation)."""
    return " ".join(_SIDE_WORDS.sub(" ", text.lower()).split())


def muscle_of(target: str | None) -> tuple[str | None, tuple[str, ...]]:
    """(muscle, action units) of a target_muscle text through the domain table.

    A known facial muscle named in the text gives its canonical name and action units;
    anything else is kept as its (cleaned) text with no action unit.
    """
    text = clean_label(target)
    if text is None:
        return None, ()
    plain = f" {_plain(text)} "
    known: list[Muscle] = [m for m in MUSCLES if f" {_plain(m.name)} " in plain]
    if len(known) == 1:
        return known[0].name, known[0].action_units
    units = tuple(dict.fromkeys(unit for muscle in known for unit in muscle.action_units))
    return text, units


@dataclass(frozen=True)
class ChannelChoice:
    """Which signals of the file become channels, and what was skipped and why."""

    indices: tuple[int, ...]
    rows: tuple[ChannelRow | None, ...]
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]


def choose_channels(
    signals: Sequence[EdfSignal], rows: Sequence[ChannelRow] | None, shown: str
) -> ChannelChoice:
    """The EMG signals of a file: those channels.tsv types EMG, else those labelled EMG, else all.

    channels.tsv rows are matched to signals by name (by position when no name matches
    and the counts agree); signals of other types are skipped and named.
    """
    measured = [i for i, s in enumerate(signals) if not s.is_annotation]
    if rows is None:
        labelled = [i for i in measured if signals[i].label.upper().startswith("EMG")]
        chosen = labelled or measured
        skipped = [f"{signals[i].label} (not labelled EMG)" for i in measured if i not in chosen]
        return ChannelChoice(tuple(chosen), (None,) * len(chosen), tuple(skipped), ())
    warnings: list[str] = []
    by_label = {signals[i].label: i for i in measured}
    matched = {row.name: by_label[row.name] for row in rows if row.name in by_label}
    if not matched and len(rows) == len(measured):
        warnings.append(
            f"{shown}: no channels.tsv name matches a signal label of the file; rows were "
            "matched to signals by position"
        )
        matched = {row.name: index for row, index in zip(rows, measured, strict=True)}
    unknown = [row.name for row in rows if row.name not in matched]
    if unknown:
        warnings.append(
            f"{shown}: channels.tsv lists {', '.join(unknown[:5])} which the file does not "
            "have; those rows were ignored"
        )
    row_of = {matched[row.name]: row for row in rows if row.name in matched}
    chosen = [i for i in measured if i in row_of and row_of[i].type.upper() == "EMG"]
    skipped = [
        f"{signals[i].label} ({row_of[i].type})"
        if i in row_of
        else f"{signals[i].label} (not in channels.tsv)"
        for i in measured
        if i not in chosen
    ]
    return ChannelChoice(
        tuple(chosen), tuple(row_of[i] for i in chosen), tuple(skipped), tuple(warnings)
    )


def channel_spec(
    position: int,
    signal: EdfSignal,
    row: ChannelRow | None,
    sensor_kind: str | None,
    mismatches: list[tuple[str, str, str]],
    shown: str,
) -> ChannelSpec:
    """The ChannelSpec of one signal: EDF scaling and unit, channels.tsv muscle and kind.

    stored * scale + offset is the physical value, exactly as the EDF header maps digital
    values; a channels.tsv unit that disagrees with the header is added to `mismatches` as
    (label, channels.tsv unit, header unit). Without channels.tsv, a label naming a known
    muscle gives it; a header whose ranges map every sample to one value is refused.
    """
    unit = normalised_unit(signal.physical_dimension)
    if row is not None:
        said = normalised_unit(row.units)
        if not unit:
            unit = said
        elif said != unit:
            mismatches.append((signal.label, row.units, signal.physical_dimension))
    span_digital = signal.digital_max - signal.digital_min
    if span_digital == 0 or signal.physical_max == signal.physical_min:
        raise InputError(
            f"{shown}: signal {signal.label} maps digital {signal.digital_min}.."
            f"{signal.digital_max} to physical {signal.physical_min:g}..{signal.physical_max:g}"
            ", so its samples have no physical value; fix the header's ranges or re-export "
            "the file."
        )
    scale = (signal.physical_max - signal.physical_min) / span_digital
    low, high = sorted((signal.physical_min, signal.physical_max))
    if row is not None:
        muscle, units = muscle_of(row.target_muscle)
    else:  # a plain EDF: a label such as "EMG Zygomaticus major" may name a known muscle
        muscle, units = muscle_of(signal.label)
        muscle = muscle if units else None
    return ChannelSpec(
        position,
        clean_label(row.name if row else signal.label) or f"EMG{position + 1}",
        muscle,
        sensor_kind_of(row.description if row else None, sensor_kind),
        units,
        unit=unit or "counts",
        scale=scale,
        offset=signal.physical_min - signal.digital_min * scale,
        physical_min=low,
        physical_max=high,
    )


def unit_warnings(mismatches: Sequence[tuple[str, str, str]], shown: str) -> list[str]:
    """One warning per disagreement between channels.tsv and the header, naming its channels."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for label, said, header in mismatches:
        grouped.setdefault((said, header), []).append(label)
    return [
        f"{shown}: channels.tsv gives {len(labels)} channel(s) ({', '.join(labels[:3])}"
        f"{', ...' if len(labels) > 3 else ''}) in {said!r} but the file's header says "
        f"{header!r}; the header's unit is used"
        for (said, header), labels in grouped.items()
    ]
