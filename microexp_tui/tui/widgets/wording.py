"""Small wording rules the screens share."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 session`, `2 sessions` (`plural` for nouns that do not just take an s)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def minutes_seconds(duration_s: float) -> str:
    """A duration as `m:ss` (`0:04`, `20:05`): short enough for a table column."""
    whole_s = max(0, round(duration_s))
    return f"{whole_s // 60}:{whole_s % 60:02d}"


GRADE_WORDS = {"green": "OK", "amber": "WARN", "red": "FAIL"}
"""An electrode grade in a word, so it never rests on colour alone."""

GRADE_MARKS = {"green": "✓", "amber": "!", "red": "✗", "": "○"}
"""An electrode grade as one symbol beside a trace (○: not checked yet)."""
