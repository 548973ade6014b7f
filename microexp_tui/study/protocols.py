"""Stimulus protocols: TOML files of blocks turned into a marker schedule on the sample clock."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.errors import InputError
from microexp_tui.paths import resource_dir
from microexp_tui.schema.problems import validate_file
from microexp_tui.schema.reader import read_person_file
from microexp_tui.schema.types import (
    SECONDS_PER_DAY,
    FileModel,
    PathText,
    Seed,
    Text,
    Title,
    one_of,
)

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
    seed: int | None = None
    """The order's seed: the file's (a fixed order, for replications) or, once a session
    runs it, the seed drawn for that session (`for_session`); None until then."""
    fixed_seed: bool = False
    """Whether the file sets `seed` (every session gets the same order)."""
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
    path = Path(name_or_path).expanduser()
    if path.suffix == ".toml" or len(path.parts) > 1:
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
    """Read and check a protocol file; InputError naming the file, line and field."""
    file = read_person_file(find_protocol(name_or_path, directory), "stimulus protocol")
    return validate_file(ProtocolFile, file, PROTOCOL_HINT).to_protocol(file.path)


PROTOCOL_HINT = "Fix the file and try again (templates/protocols/demo.toml shows the format)."
MAX_REPETITIONS = 1000
MAX_BLOCKS = 10_000
MAX_PROTOCOL_S = SECONDS_PER_DAY
"""A protocol lasts at most a day in total (blocks x repetitions, with ISI and full jitter)."""
BlockSeconds = Annotated[float, Field(ge=0, le=SECONDS_PER_DAY)]


class BlockFile(FileModel):
    """One `[[block]]` of a protocol file: what the participant sees and for how long."""

    kind: Annotated[str, AfterValidator(one_of(BLOCK_KINDS))]
    duration_s: Annotated[float, Field(gt=0, le=SECONDS_PER_DAY)]
    text: Text = ""
    emotion: Annotated[str | None, Field(validate_default=True)] = None
    """The emotion a stimulus block is meant to evoke (ignored on other kinds)."""
    media: PathText | None = None
    isi_s: BlockSeconds = 0.0
    jitter_s: BlockSeconds = 0.0

    @field_validator("emotion")
    @classmethod
    def _stimulus_names_an_emotion(cls, emotion: str | None, info: ValidationInfo) -> str | None:
        """A stimulus block needs one of the domain's emotions; other kinds may leave it out."""
        kind = info.data.get("kind")
        if kind == "stimulus" and emotion is None:
            raise ValueError(f"is missing: a stimulus needs one of {', '.join(EMOTIONS)}")
        if emotion is not None:
            one_of(EMOTIONS)(emotion)
        return emotion if kind == "stimulus" else None

    def to_block(self) -> Block:
        """The protocol step this entry describes."""
        return Block(
            kind=self.kind,
            duration_s=self.duration_s,
            text=self.text,
            emotion=self.emotion,
            media=self.media,
            isi_s=self.isi_s,
            jitter_s=self.jitter_s,
        )


class ProtocolFile(FileModel):
    """A protocol file: a title, the `[[block]]` list and its repetition and randomisation."""

    title: Title | None = None
    """Shown to the operator; the file's name when left out."""
    repetitions: Annotated[int, Field(ge=1, le=MAX_REPETITIONS)] = 1
    randomize: bool = False
    """Shuffle the stimulus blocks of every repetition (a new order for every session)."""
    seed: Seed | None = None
    """A fixed seed, for replications: every session gets the same order and jitter.
    Left out, each session draws its own seed (stored with the session)."""
    block: Annotated[list[BlockFile], Field(min_length=1, max_length=MAX_BLOCKS)]

    @model_validator(mode="after")
    def _lasts_at_most_a_day(self) -> Self:
        """Refuse a protocol that would run longer than MAX_PROTOCOL_S."""
        total_s = longest_length_s([entry.to_block() for entry in self.block], self.repetitions)
        if total_s > MAX_PROTOCOL_S:
            raise ValueError(
                f"the protocol lasts up to {total_s / 3600:.1f} h ({self.repetitions} x "
                f"{len(self.block)} blocks, with ISI and full jitter); at most "
                f"{MAX_PROTOCOL_S / 3600:g} h is allowed: use fewer repetitions or shorter blocks"
            )
        return self

    def to_protocol(self, path: Path) -> Protocol:
        """The protocol this file describes, named after the file."""
        return Protocol(
            name=path.stem,
            title=self.title or path.stem,
            blocks=tuple(block.to_block() for block in self.block),
            repetitions=self.repetitions,
            randomize=self.randomize,
            seed=self.seed,
            fixed_seed=self.seed is not None,
            path=path,
        )


NEW_SEED_LIMIT = 10**9
"""Drawn seeds are below this: nine digits are easy to read in a report and to type back."""


def new_seed() -> int:
    """A fresh random seed for one session's order."""
    return secrets.randbelow(NEW_SEED_LIMIT)


def for_session(protocol: Protocol, seed: int | None = None) -> Protocol:
    """The protocol as one session runs it: the file's fixed seed (replications), else `seed`
    (a setting, an option, or the stored seed of the session being resumed), else a new one."""
    if protocol.fixed_seed:
        return protocol
    return replace(protocol, seed=new_seed() if seed is None else seed)


def session_seed(protocol: Protocol) -> int:
    """The seed a session runs the protocol with; ValueError before `for_session` gave one."""
    if protocol.seed is None:
        raise ValueError(f"protocol {protocol.name!r} has no seed yet: run it through for_session")
    return protocol.seed


def block_sequence(protocol: Protocol) -> list[Block]:
    """Blocks in presentation order: repetitions, stimuli shuffled with the session's seed."""
    rng = random.Random(session_seed(protocol))
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
    """Blocks in presentation order with their onsets (jitter drawn from the session's seed)."""
    rng = random.Random(session_seed(protocol) + 1)
    placed: list[TimedBlock] = []
    t_s = 0.0
    for block in block_sequence(protocol):
        length_s = block.duration_s + block.isi_s + rng.uniform(0.0, block.jitter_s)
        placed.append(TimedBlock(t_s, block, length_s))
        t_s += length_s
    return placed


def block_markers(block: Block) -> list[ScheduledMarker]:
    """Markers of one block relative to its onset: stimulus onset/offset, rest onset, or a
    calibration block's onset and its end (the offset code), so exports see its real extent
    rather than running it through the pause after it."""
    if block.kind == "stimulus" and block.emotion is not None:
        return [
            ScheduledMarker(0.0, stimulus_onset_code(block.emotion), f"stimulus {block.emotion}"),
            ScheduledMarker(block.duration_s, MARKER_STIMULUS_OFFSET, "stimulus offset"),
        ]
    if block.kind == "calibration":
        return [
            ScheduledMarker(0.0, MARKER_REST_ONSET, "calibration onset"),
            ScheduledMarker(block.duration_s, MARKER_STIMULUS_OFFSET, "calibration offset"),
        ]
    if block.kind == "rest":
        return [ScheduledMarker(0.0, MARKER_REST_ONSET, "rest onset")]
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
    return longest_length_s(protocol.blocks, protocol.repetitions)


def longest_length_s(blocks: Sequence[Block], repetitions: int) -> float:
    """Seconds `repetitions` runs of `blocks` last at most (full jitter; shuffling keeps it)."""
    return repetitions * sum(block.duration_s + block.isi_s + block.jitter_s for block in blocks)
