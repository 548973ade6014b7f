"""One wording for what is wrong in a file: a pydantic ValidationError becomes one InputError.

Each problem names the field path as a person writes it (`block[3].duration_s`: entries of a
list are counted from 1), what is wrong, what is allowed, and, in a TOML file, its line.
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from microexp_tui.errors import InputError
from microexp_tui.schema.reader import PersonFile

M = TypeVar("M", bound=BaseModel)

MAX_PROBLEMS_SHOWN = 3
"""At most this many problems are spelled out in one message (the rest are counted)."""
MAX_VALUE_CHARS = 40
"""A wrong value is quoted back up to this many characters."""
FILE_HINT = "Fix the file and try again."


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (a field path, "" for the whole file) and what, as a phrase."""

    path: str
    text: str
    unknown: bool = False
    """The field itself is not one the file may have (the phrase then lists those it may)."""
    line: int | None = None

    def describe(self, noun: str = "field") -> str:
        """`line 7: field 'block[2].duration_s' must be greater than 0, not -1`."""
        at = f"line {self.line}: " if self.line else ""
        text = self.text.rstrip(".")
        if self.unknown:
            return f"{at}unknown {noun} {self.path!r}{text}"
        return f"{at}{noun} {self.path!r} {text}" if self.path else f"{at}{text}"


def invalid(where: str, problems: Sequence[Problem], hint: str, noun: str = "field") -> InputError:
    """One InputError: `<where>: <problem>; <problem> (and N more). <hint>`."""
    shown = "; ".join(problem.describe(noun) for problem in problems[:MAX_PROBLEMS_SHOWN])
    hidden = len(problems) - MAX_PROBLEMS_SHOWN
    more = f" (and {hidden} more)" if hidden > 0 else ""
    return InputError(f"{where}: {shown}{more}." + (f" {hint}" if hint else ""))


def validate_file(
    model: type[M], file: PersonFile, hint: str = FILE_HINT, noun: str = "field"
) -> M:
    """The file's data checked strictly against its schema; InputError naming file and fields.

    Strictly: a file's values have types (TOML, JSON), so text is never taken for a number.
    """
    try:
        return model.model_validate(file.data, strict=True)
    except ValidationError as err:
        problems = problems_of(err, model)
        if file.is_toml:
            problems = [with_line(problem, file.text) for problem in problems]
        raise invalid(file.where(), problems, hint, noun) from None


def problems_of(error: ValidationError, model: type[BaseModel] | None = None) -> list[Problem]:
    """Each error of a validation as a Problem (unknown fields list the known ones of `model`)."""
    problems = []
    for detail in error.errors(include_url=False):
        path = field_path(detail["loc"])
        if detail["type"] == "extra_forbidden":
            known = _known_fields(model, detail["loc"][:-1]) if model else ()
            listed = f" (known: {', '.join(known)})" if known else ""
            problems.append(Problem(path, f"{listed}; remove it or fix its name", unknown=True))
        else:
            problems.append(Problem(path, _phrase(detail)))
    return problems


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("block", 2, "duration_s")` -> `block[3].duration_s` (entries counted from 1)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else part
    return text


def _phrase(detail: ErrorDetails) -> str:
    """What is wrong and what is allowed, followed by the wrong value when it is short."""
    kind, ctx, value = detail["type"], detail.get("ctx", {}), detail["input"]
    phrase = _PHRASES.get(kind)
    if phrase is None:
        phrase = _bounded_phrase(kind, ctx, value)
    if phrase is None:
        message = str(ctx["error"]) if kind in ("value_error", "assertion_error") else detail["msg"]
        phrase = message[:1].lower() + message[1:]
    if kind in _WITHOUT_VALUE or not _is_scalar(value):
        return phrase
    return f"{phrase}, not {_shown(value)}"


_PHRASES = {
    "missing": "is missing",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text (in quotes)",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list [...]",
    "tuple_type": "must be a list [...]",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "finite_number": "must be a finite number (nan and inf are not allowed)",
}
_WITHOUT_VALUE = {"missing", "string_too_long", "too_long", "too_short"}


def _bounded_phrase(kind: str, ctx: dict[str, Any], value: Any) -> str | None:
    """The phrase of a bound (number range, text length, list length), or None."""
    if kind == "greater_than":
        return f"must be greater than {_shown(ctx['gt'])}"
    if kind == "greater_than_equal":
        return f"must be at least {_shown(ctx['ge'])}"
    if kind == "less_than":
        return f"must be less than {_shown(ctx['lt'])}"
    if kind == "less_than_equal":
        return f"must be at most {_shown(ctx['le'])}"
    if kind == "string_too_short":
        shortest = ctx["min_length"]
        return "must not be empty" if shortest == 1 else f"must have {shortest}+ characters"
    if kind == "string_too_long":
        return f"must have at most {ctx['max_length']} characters (it has {len(value)})"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} {_entries(ctx['min_length'])}"
    if kind == "too_long":
        most, actual = ctx["max_length"], ctx.get("actual_length")
        counted = f" (it has {actual})" if actual is not None else ""
        return f"must have at most {most} {_entries(most)}{counted}"
    return None


def _entries(count: int) -> str:
    """`entry` or `entries`."""
    return "entry" if count == 1 else "entries"


def _is_scalar(value: Any) -> bool:
    """A value short enough in kind to quote back (text, number, true/false)."""
    return isinstance(value, str | int | float | bool)


def _shown(value: Any) -> str:
    """A value as the person wrote it: true/false, 20 not 20.0, text quoted and shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            return repr(value[:MAX_VALUE_CHARS] + "...")
        return repr(value)
    return str(value)


def _known_fields(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """Names of the fields of the table at `loc` inside `model` (empty when it cannot be told)."""
    annotation: Any = model
    for part in loc:
        annotation = _item_type(_unwrapped(annotation), part)
        if annotation is None:
            return ()
    target = _unwrapped(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return tuple(target.model_fields)
    return ()


def _unwrapped(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _unwrapped(members[0]) if len(members) == 1 else annotation
    return annotation


def _item_type(annotation: Any, part: int | str) -> Any:
    """The type one step down: a model's field, or a list's items."""
    if isinstance(part, int):
        args = get_args(annotation)
        return args[0] if get_origin(annotation) in (list, tuple) and args else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        return field.annotation if field else None
    return None


def with_line(problem: Problem, toml_text: str) -> Problem:
    """The problem with the TOML line of its field, when the field is written on its own line."""
    line = toml_line(toml_text, problem.path)
    return Problem(problem.path, problem.text, problem.unknown, line) if line else problem


_STEP = re.compile(r"(?P<key>[A-Za-z0-9_-]+)(?:\[(?P<number>\d+)\])?")


def toml_line(toml_text: str, path: str) -> int | None:
    """Line (from 1) of `path` in a TOML document: `[table]`/`[[table]]` headers, then `key =`.

    A heuristic for pointing a person at the right place; None when the field is not written
    on a line of its own (inline tables, the whole file).
    """
    lines = toml_text.splitlines()
    start, stop, table = 0, len(lines), ""
    for step in path.split(".") if path else ():
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        name = f"{table}.{match['key']}" if table else match["key"]
        header = _header_index(lines, name, int(match["number"] or 0), start, stop)
        if header is None:  # a key: its line, else (when it is missing) its table's header
            return _key_line(lines, match["key"], start, stop) or (start if table else None)
        start, stop, table = header + 1, _next_header(lines, header + 1), name
    return start if path else None  # the line after the header is the header's line number


def _header_index(lines: list[str], name: str, number: int, start: int, stop: int) -> int | None:
    """Index of the header `[name]`, or of the `number`th `[[name]]` (number >= 1)."""
    escaped = re.escape(name)
    pattern = rf"\s*\[\[\s*{escaped}\s*\]\]" if number else rf"\s*\[\s*{escaped}\s*\]"
    header = re.compile(pattern)
    matches = [index for index in range(start, stop) if header.match(lines[index])]
    wanted = max(number, 1)
    return matches[wanted - 1] if len(matches) >= wanted else None


def _next_header(lines: list[str], start: int) -> int:
    """Index of the next table header at or after `start` (the end when there is none)."""
    return next((i for i in range(start, len(lines)) if _is_header(lines[i])), len(lines))


def _is_header(line: str) -> bool:
    """A `[table]` or `[[table]]` line."""
    return line.lstrip().startswith("[")


def _key_line(lines: list[str], key: str, start: int, stop: int) -> int | None:
    """Line (from 1) of `key = ...` from `start` up to the next table header."""
    assignment = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for index in range(start, stop):
        if _is_header(lines[index]):
            return None
        if assignment.match(lines[index]):
            return index + 1
    return None
