"""Stimulus protocols: TOML files of blocks turned into a marker schedule on the sample clock."""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir

BLOCK_KINDS = ("instruction", "rest", "calibration", "stimulus")
PROTOCOLS_DIR = resource_dir("templates", "protocols")


@dataclass(frozen=True)
class Block:
    """One protocol step: what the participant sees and for how long."""

    kind: str
    duration_s: float
    text: str = ""
    emotion: str | None = None
    media: str | None = None
    isi_s: float = 0.0
    jitter_s: float = 0.0


@dataclass(frozen=True)
class Protocol:
    """A named sequence of blocks with its randomisation settings."""

    name: str
    title: str
    blocks: tuple[Block, ...]
    repetitions: int = 1
    randomize: bool = False
    seed: int = 0
    path: Path | None = None


@dataclass(frozen=True)
class ScheduledMarker:
    """A marker to send when the sample clock reaches `onset_s`."""

    onset_s: float
    code: int
    label: str


def available_protocols(directory: Path = PROTOCOLS_DIR) -> list[str]:
    """Names of the protocol files shipped in templates/protocols/."""
    return sorted(path.stem for path in directory.glob("*.toml"))


def find_protocol(name_or_path: str, directory: Path = PROTOCOLS_DIR) -> Path:
    """Path of a protocol given by name (templates/protocols/NAME.toml) or by file path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    candidate = directory / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    names = ", ".join(available_protocols(directory)) or "none"
    raise InputError(
        f"Unknown stimulus protocol {name_or_path!r}. Shipped protocols: {names}; "
        "or pass the path of a .toml protocol file."
    )


def load_protocol(name_or_path: str, directory: Path = PROTOCOLS_DIR) -> Protocol:
    """Read and validate a protocol file, raising InputError naming file, line and field."""
    path = find_protocol(name_or_path, directory)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err}). Fix the file and try again.") from err
    raw_blocks = data.get("block")
    if not isinstance(raw_blocks, list) or not raw_blocks:
        raise InputError(f"{path}: no [[block]] entries; a protocol needs at least one block.")
    blocks = tuple(
        _parse_block(raw, _FieldContext(path, text, number))
        for number, raw in enumerate(raw_blocks, start=1)
    )
    top = _FieldContext(path, text, 0)
    return Protocol(
        name=path.stem,
        title=str(data.get("title", path.stem)),
        blocks=blocks,
        repetitions=top.positive_int(data, "repetitions", 1),
        randomize=bool(data.get("randomize", False)),
        seed=top.positive_int(data, "seed", 0, minimum=0),
        path=path,
    )


@dataclass(frozen=True)
class _FieldContext:
    """Where a field lives (file, block number, line) so errors can point at it."""

    path: Path
    text: str
    block_number: int

    def where(self, field: str) -> str:
        """`file:line, block N, field 'x'` for an error message."""
        if self.block_number == 0:
            return f"{self.path}: field {field!r}"
        line = self._block_line()
        return f"{self.path}:{line}: block {self.block_number}, field {field!r}"

    def _block_line(self) -> int:
        """Line number of this block's `[[block]]` header."""
        seen = 0
        for number, line in enumerate(self.text.splitlines(), start=1):
            if line.strip() == "[[block]]":
                seen += 1
                if seen == self.block_number:
                    return number
        return 0

    def number(self, raw: dict[str, Any], field: str, default: float | None) -> float:
        """A non-negative number field."""
        value = raw.get(field, default)
        if value is None:
            raise InputError(f"{self.where(field)} is missing; give a number of seconds.")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InputError(f"{self.where(field)} must be a non-negative number, not {value!r}.")
        return float(value)

    def positive_int(self, raw: dict[str, Any], field: str, default: int, minimum: int = 1) -> int:
        """An integer field of at least `minimum`."""
        value = raw.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InputError(f"{self.where(field)} must be an integer >= {minimum}, not {value!r}.")
        return value


def _parse_block(raw: Any, ctx: _FieldContext) -> Block:
    """One validated block."""
    if not isinstance(raw, dict):
        raise InputError(f"{ctx.where('block')} must be a table.")
    kind = raw.get("kind")
    if kind not in BLOCK_KINDS:
        raise InputError(f"{ctx.where('kind')} is {kind!r}; use one of {', '.join(BLOCK_KINDS)}.")
    emotion = raw.get("emotion")
    if kind == "stimulus" and emotion not in EMOTIONS:
        raise InputError(
            f"{ctx.where('emotion')} is {emotion!r}; a stimulus needs one of {', '.join(EMOTIONS)}."
        )
    duration_s = ctx.number(raw, "duration_s", None)
    if duration_s <= 0:
        raise InputError(f"{ctx.where('duration_s')} must be greater than 0.")
    return Block(
        kind=kind,
        duration_s=duration_s,
        text=str(raw.get("text", "")),
        emotion=emotion if kind == "stimulus" else None,
        media=raw.get("media"),
        isi_s=ctx.number(raw, "isi_s", 0.0),
        jitter_s=ctx.number(raw, "jitter_s", 0.0),
    )


def block_sequence(protocol: Protocol) -> list[Block]:
    """Blocks in presentation order: repetitions, stimuli shuffled with the stored seed."""
    rng = random.Random(protocol.seed)
    sequence: list[Block] = []
    for _ in range(protocol.repetitions):
        blocks = list(protocol.blocks)
        if protocol.randomize:
            stimulus_slots = [i for i, block in enumerate(blocks) if block.kind == "stimulus"]
            shuffled = [blocks[i] for i in stimulus_slots]
            rng.shuffle(shuffled)
            for slot, block in zip(stimulus_slots, shuffled, strict=True):
                blocks[slot] = block
        sequence.extend(blocks)
    return sequence


@dataclass(frozen=True)
class TimedBlock:
    """A block placed on the protocol's time line: shown from `onset_s` for its duration."""

    onset_s: float
    block: Block
    length_s: float
    """Time until the next block starts: duration + inter-stimulus interval + drawn jitter."""


def timeline(protocol: Protocol) -> list[TimedBlock]:
    """Blocks in presentation order with their onsets (jitter drawn from the stored seed)."""
    rng = random.Random(protocol.seed + 1)
    placed: list[TimedBlock] = []
    t_s = 0.0
    for block in block_sequence(protocol):
        length_s = block.duration_s + block.isi_s + rng.uniform(0.0, block.jitter_s)
        placed.append(TimedBlock(t_s, block, length_s))
        t_s += length_s
    return placed


def block_markers(block: Block) -> list[ScheduledMarker]:
    """Markers of one block relative to its onset: stimulus onset/offset, or rest onset."""
    if block.kind == "stimulus" and block.emotion is not None:
        return [
            ScheduledMarker(0.0, stimulus_onset_code(block.emotion), f"stimulus {block.emotion}"),
            ScheduledMarker(block.duration_s, MARKER_STIMULUS_OFFSET, "stimulus offset"),
        ]
    if block.kind in ("rest", "calibration"):
        return [ScheduledMarker(0.0, MARKER_REST_ONSET, f"{block.kind} onset")]
    return []


def marker_schedule(protocol: Protocol) -> list[ScheduledMarker]:
    """Onset and offset markers of every block, in seconds of sample time from the start."""
    return [
        ScheduledMarker(placed.onset_s + marker.onset_s, marker.code, marker.label)
        for placed in timeline(protocol)
        for marker in block_markers(placed.block)
    ]


def protocol_duration_s(protocol: Protocol) -> float:
    """Upper bound of the protocol's length in seconds (with full jitter)."""
    blocks = block_sequence(protocol)
    return sum(block.duration_s + block.isi_s + block.jitter_s for block in blocks)
