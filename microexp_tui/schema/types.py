"""Constrained types shared by every file schema: finite numbers, bounded text, choices."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

MAX_TITLE_CHARS = 200
"""Titles, names and labels: one line of at most this many characters."""
MAX_TEXT_CHARS = 2000
"""Free text shown to a participant or printed in a report (instructions, caveats)."""
MAX_PATH_CHARS = 4096
"""A file or folder path (the usual PATH_MAX)."""
SECONDS_PER_DAY = 86_400.0
"""Upper bound of any duration in a file: nothing a person schedules lasts longer than a day."""
MAX_SEED = 2**63 - 1
"""Random seeds are stored in SQLite, whose integers are signed 64-bit."""

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINE_AND_TAB = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FileModel(BaseModel):
    """Base of every file schema: unknown keys refused, no type coercion, finite numbers only."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def _single_line(text: str) -> str:
    """Refuse line breaks and other control characters in a one-line value."""
    if _CONTROL_CHARACTERS.search(text):
        raise ValueError("must be one line of text without control characters")
    return text


def _printable(text: str) -> str:
    """Refuse control characters other than line breaks and tabs in free text."""
    if _CONTROL_EXCEPT_NEWLINE_AND_TAB.search(text):
        raise ValueError("must be text without control characters (line breaks are fine)")
    return text


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
"""A float that is never NaN or infinite, whatever the model's configuration."""
Line = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS), AfterValidator(_single_line)]
"""One line of at most MAX_TITLE_CHARS characters; may be empty."""
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_CHARS),
    AfterValidator(_single_line),
]
"""A non-empty title of at most MAX_TITLE_CHARS characters on one line (outer spaces removed)."""
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS), AfterValidator(_printable)]
"""Free text of at most MAX_TEXT_CHARS characters; may span lines and be empty."""
Paragraph = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS),
    AfterValidator(_printable),
]
"""Non-empty free text of at most MAX_TEXT_CHARS characters (outer spaces removed)."""
PathText = Annotated[
    str, StringConstraints(max_length=MAX_PATH_CHARS), AfterValidator(_single_line)
]
"""A path or a name that stands for one; may be empty."""
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
"""A random seed: a whole number that fits the store."""


def one_of(options: Sequence[T]) -> Callable[[T], T]:
    """A validator accepting only the given options, naming them when it refuses."""
    allowed = tuple(options)
    shown = ", ".join(str(option) for option in allowed)

    def check(value: T) -> T:
        """The value itself when it is one of the options."""
        if value not in allowed:
            raise ValueError(f"must be one of {shown}")
        return value

    return check


def distinct(values: list[T]) -> list[T]:
    """Refuse a list that names the same entry twice."""
    if len(set(values)) != len(values):
        raise ValueError("must name each entry once")
    return values
