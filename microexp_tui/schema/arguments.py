"""Command-line values a person types, checked as argparse types: finite and positive
numbers, paths with `~`. Shared by the CLI and the simulator's own command line."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def user_path(text: str) -> Path:
    """An argparse type: a path, `~` and `~user` expanded (an unknown user is a usage error)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} starts with ~ but names no user of this computer"
        ) from None


def finite_float(text: str) -> float:
    """An argparse type: a finite number (NaN and infinity are refused as usage errors)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number; give a number")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number greater than 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def seed_number(text: str) -> int:
    """An argparse type: a random seed, a whole number from 0 that fits the store."""
    from microexp_tui.schema.types import MAX_SEED  # pydantic: only when a seed is given

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and {MAX_SEED}")
    return value
