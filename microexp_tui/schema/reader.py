"""One safe reader for a file a person wrote (TOML or JSON): every failure is an InputError."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microexp_tui.errors import InputError

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest settings, protocol, montage, template, card or scenario file read (shipped: < 20 kB)."""
_TOML_POSITION = re.compile(
    r"^(?P<message>.*?)\s*\(at (?P<position>line \d+, column \d+|end of document)\)$"
)


@dataclass(frozen=True)
class PersonFile:
    """A parsed file with what it is, where it is and its text (to point at lines)."""

    path: Path
    what: str
    """What the file is, lowercase (e.g. "stimulus protocol"), for messages."""
    text: str
    data: dict[str, Any]

    @property
    def is_toml(self) -> bool:
        """True unless the file is JSON (named *.json)."""
        return not is_json(self.path)

    def where(self) -> str:
        """`Stimulus protocol /path/file.toml`: how messages name the file."""
        return f"{capitalised(self.what)} {self.path}"


def capitalised(text: str) -> str:
    """`text` with its first letter in upper case (the start of a sentence)."""
    return text[:1].upper() + text[1:]


def is_json(path: Path) -> bool:
    """A file named *.json is JSON; anything else is read as TOML."""
    return path.suffix.lower() == ".json"


def read_person_file(path: Path, what: str) -> PersonFile:
    """Read and parse a TOML or JSON file; InputError naming the file for any problem."""
    text = _decode(_read_bytes(path, what), path, what)
    data = _parse_json(text, path, what) if is_json(path) else _parse_toml(text, path, what)
    return PersonFile(path, what, text, data)


def _read_bytes(path: Path, what: str) -> bytes:
    """The file's bytes: refused when missing, a folder, unreadable or implausibly large."""
    where = f"{capitalised(what)} {path}"
    try:
        if path.is_dir():
            raise InputError(f"{where} is a folder, not a file; give the path of the {what} file.")
        size_bytes = path.stat().st_size
        if size_bytes > MAX_FILE_BYTES:
            raise InputError(
                f"{where} is {size_bytes} bytes; a {what} is at most {MAX_FILE_BYTES} bytes. "
                "Check that this is the right file."
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{where} does not exist. Check the path.") from None
    except PermissionError:
        raise InputError(
            f"{where} cannot be read: permission denied. Give your user read access "
            "(e.g. chmod u+r) or copy the file somewhere readable."
        ) from None
    except OSError as err:
        raise InputError(
            f"{where} cannot be read: {err.strerror or err}. Check the path."
        ) from None


def _decode(data: bytes, path: Path, what: str) -> str:
    """The text of a UTF-8 file (a leading byte-order mark is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{capitalised(what)} {path} is not UTF-8 text (byte {err.start} cannot be decoded); "
            "save it as UTF-8 and try again."
        ) from None


def _parse_toml(text: str, path: Path, what: str) -> dict[str, Any]:
    """The TOML document; a syntax error names the line and column the parser reports."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = _TOML_POSITION.match(str(err))
        detail = f"{match['position']}: {match['message']}" if match else str(err)
        raise InputError(
            f"{capitalised(what)} {path} is not valid TOML ({detail}). Fix the file and try again."
        ) from None


def _parse_json(text: str, path: Path, what: str) -> dict[str, Any]:
    """The JSON object; a syntax error names the line and column, another top level is refused."""
    where = f"{capitalised(what)} {path}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{where} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}). "
            "Fix the file and try again."
        ) from None
    except RecursionError:
        raise InputError(f"{where} is nested too deeply to be a {what}.") from None
    if not isinstance(data, dict):
        raise InputError(f"{where} must hold a JSON object {{...}} at the top level.")
    return data
