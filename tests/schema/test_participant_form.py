"""The participant form's model: the same rules and the same messages the TUI has always shown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from microexp_tui.study.participant_form import ParticipantForm, field_error

CODE_MESSAGE = "1-32 letters, digits, '.', '_' or '-', starting with a letter or digit."
BIRTH_MESSAGE = "Give a birth year (1900-2026) or an age in years (1-120)."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "", None),
        ("code", " P-001 ", None),
        ("code", "a" * 32, None),
        ("code", "bad code!", CODE_MESSAGE),
        ("code", "_starts-with-underscore", CODE_MESSAGE),
        ("code", "a" * 33, CODE_MESSAGE),
        ("birth", "", None),
        ("birth", "34", None),
        ("birth", "1990", None),
        ("birth", "1850", BIRTH_MESSAGE),
        ("birth", "121", BIRTH_MESSAGE),
        ("birth", "2027", BIRTH_MESSAGE),
        ("birth", "abc", BIRTH_MESSAGE),
        ("name", "x" * 500, None),
        ("notes", "x" * 501, "At most 500 characters."),
        ("sex", "alien", "Use one of female, male, other, undisclosed."),
        ("handedness", "both", "Use one of right, left, ambidextrous."),
    ],
)
def test_each_field_shows_the_same_message(field: str, value: str, message: str | None) -> None:
    assert field_error(field, value, 2026) == message


def test_the_form_gives_the_values_to_save() -> None:
    typed = {
        "code": " P-7 ",
        "birth": "34",
        "sex": "female",
        "handedness": None,
        "name": "  ",
        "contact": " a@b.example ",
        "notes": "",
    }
    entry = ParticipantForm.model_validate(typed, context={"year": 2026})
    assert (entry.code, entry.birth_year, entry.sex, entry.handedness) == (
        "P-7",
        1992,
        "female",
        None,
    )
    assert (entry.name, entry.contact, entry.notes) == (None, "a@b.example", None)


def test_the_form_refuses_a_field_it_does_not_have() -> None:
    with pytest.raises(ValidationError, match="colour"):
        ParticipantForm.model_validate({"colour": "red"})
