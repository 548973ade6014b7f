"""Writing test documents: a small TOML writer and a check for unreadable files under root."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def toml_text(document: dict[str, Any]) -> str:
    """`document` as TOML: top-level values, then tables, then arrays of tables."""
    lines = [f"{key} = {_value(value)}" for key, value in document.items() if _is_plain(value)]
    for key, value in document.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:
                lines += ["", f"[[{key}]]"] + [f"{k} = {_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def _is_plain(value: Any) -> bool:
    """A value written on its key's line (not a table or an array of tables)."""
    if isinstance(value, dict):
        return False
    return not (isinstance(value, list) and value and all(isinstance(v, dict) for v in value))


def _value(value: Any) -> str:
    """One TOML value (floats as TOML spells nan and inf)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(value)


def unreadable(path: Path) -> bool:
    """Make `path` unreadable; False when the user can still read it (root ignores modes)."""
    path.chmod(0o000)
    return not os.access(path, os.R_OK)
