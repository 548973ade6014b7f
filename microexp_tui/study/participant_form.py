"""The participant form as one pydantic model; each field's message is the one the TUI shows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)

from microexp_tui.domain.sessions import HANDEDNESS_VALUES, SEX_VALUES

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
FIRST_BIRTH_YEAR = 1900
MAX_AGE_YEARS = 120
MAX_TEXT_CHARS = 500


def this_year() -> int:
    """The current year (UTC)."""
    return datetime.now(UTC).year


def birth_year_of(text: str, year: int | None = None) -> int | None:
    """A birth year from a year (e.g. 1990) or an age in years (e.g. 34); ValueError if neither."""
    text = text.strip()
    if not text:
        return None
    year = year or this_year()
    value = int(text)
    if 0 < value <= MAX_AGE_YEARS:
        return year - value
    if FIRST_BIRTH_YEAR <= value <= year:
        return value
    raise ValueError(text)


def _code(text: str) -> str:
    """A participant code, or "" (one is generated)."""
    code = text.strip()
    if code and not CODE_PATTERN.fullmatch(code):
        raise ValueError("1-32 letters, digits, '.', '_' or '-', starting with a letter or digit.")
    return code


def _birth_year(text: Any, info: ValidationInfo) -> int | None:
    """The birth year of a year-or-age entry (the current year comes from the context)."""
    year = (info.context or {}).get("year") or this_year()
    try:
        return birth_year_of(str(text or ""), year)
    except ValueError:
        raise ValueError(
            f"Give a birth year ({FIRST_BIRTH_YEAR}-{year}) or an age in years (1-{MAX_AGE_YEARS})."
        ) from None


def _choice(allowed: Sequence[str]) -> AfterValidator:
    """A validator of an optional choice among `allowed`."""

    def check(value: str | None) -> str | None:
        """The choice, or None when none was made."""
        if value and value not in allowed:
            raise ValueError(f"Use one of {', '.join(allowed)}.")
        return value or None

    return AfterValidator(check)


def _identifying_text(text: str) -> str | None:
    """Optional free text, stripped (None when empty)."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"At most {MAX_TEXT_CHARS} characters.")
    return text.strip() or None


IdentifyingText = Annotated[str, AfterValidator(_identifying_text)]


class ParticipantForm(BaseModel):
    """The form as typed: a code, birth year or age, sex, handedness, and identifying text."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    code: Annotated[str, AfterValidator(_code)] = ""
    """Pseudonymous code; empty means one is generated."""
    birth_year: Annotated[int | None, BeforeValidator(_birth_year)] = Field(
        default=None, validation_alias="birth"
    )
    """Typed as a year (1990) or an age (34) in the field `birth`."""
    sex: Annotated[str | None, _choice(SEX_VALUES)] = None
    handedness: Annotated[str | None, _choice(HANDEDNESS_VALUES)] = None
    name: IdentifyingText | None = None
    contact: IdentifyingText | None = None
    notes: IdentifyingText | None = None


def field_error(field: str, value: str | None, year: int | None = None) -> str | None:
    """The message shown under a form field (`code`, `birth`, `name`, ...), or None if usable."""
    try:
        ParticipantForm.model_validate({field: value}, context={"year": year})
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        return str(first.get("ctx", {}).get("error", first["msg"]))
    return None
