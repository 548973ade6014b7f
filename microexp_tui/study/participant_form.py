"""Checks of the participant form, one per field, each returning the error text or None."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from microexp_tui.domain.sessions import HANDEDNESS_VALUES, SEX_VALUES

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
MAX_AGE_YEARS = 120
MAX_TEXT_CHARS = 500


def this_year() -> int:
    """The current year (UTC)."""
    return datetime.now(UTC).year


def code_error(text: str) -> str | None:
    """Why a participant code is unusable, or None (empty is fine: one is generated)."""
    if not text.strip() or CODE_PATTERN.fullmatch(text.strip()):
        return None
    return "1-32 letters, digits, '.', '_' or '-', starting with a letter or digit."


def birth_year_of(text: str, year: int | None = None) -> int | None:
    """A birth year from a year (e.g. 1990) or an age in years (e.g. 34); ValueError if neither."""
    text = text.strip()
    if not text:
        return None
    year = year or this_year()
    value = int(text)
    if 0 < value <= MAX_AGE_YEARS:
        return year - value
    if 1900 <= value <= year:
        return value
    raise ValueError(text)


def birth_year_error(text: str, year: int | None = None) -> str | None:
    """Why a birth year / age entry is unusable, or None."""
    try:
        birth_year_of(text, year)
    except ValueError:
        return f"Give a birth year (1900-{year or this_year()}) or an age in years (1-120)."
    return None


def choice_error(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Why an optional choice is unusable, or None."""
    if not value or value in allowed:
        return None
    return f"Use one of {', '.join(allowed)}."


def sex_error(value: str | None) -> str | None:
    """Why a sex entry is unusable, or None."""
    return choice_error(value, SEX_VALUES)


def handedness_error(value: str | None) -> str | None:
    """Why a handedness entry is unusable, or None."""
    return choice_error(value, HANDEDNESS_VALUES)


def text_error(text: str) -> str | None:
    """Why a free-text identifying field is unusable, or None."""
    if len(text) > MAX_TEXT_CHARS:
        return f"At most {MAX_TEXT_CHARS} characters."
    return None
