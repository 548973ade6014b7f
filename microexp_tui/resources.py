"""Where the shipped folders (templates/, models/) are: the checkout, or the installed share dir."""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT_ROOT = Path(__file__).resolve().parents[1]
_INSTALLED_ROOT = Path(sys.prefix) / "share" / "microexp-tui"


def resource_dir(*parts: str) -> Path:
    """A shipped folder: beside the package in a checkout or editable install, else installed."""
    in_checkout = _CHECKOUT_ROOT.joinpath(*parts)
    if in_checkout.is_dir():
        return in_checkout
    return _INSTALLED_ROOT.joinpath(*parts)
