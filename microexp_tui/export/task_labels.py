"""BIDS task labels that can never carry a name: shipped protocols by name, others numbered.

A session stores the name of its protocol file, which a person chose (it may be their own
name). Only the names of the protocols shipped in templates/protocols are used as labels
(letters and digits only, e.g. `sixemotions`); any other protocol becomes `protocolNN`,
numbered in the order the database first used it, and a session without one is `free`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePath

from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.study.protocols import available_protocols

FREE_TASK = "free"
"""Task label of a session recorded without a stimulus protocol."""
NEUTRAL_TASK_PREFIX = "protocol"
"""Label stem of a protocol that is not shipped: `protocol01`, `protocol02`, ..."""


def shipped_task_labels(names: Iterable[str] | None = None) -> dict[str, str]:
    """Task label of each shipped protocol, by its case-folded name."""
    shipped = available_protocols() if names is None else names
    return {name.casefold(): _letters_and_digits(name) for name in shipped}


def _letters_and_digits(text: str) -> str:
    """ASCII letters and digits of a text (a BIDS label's alphabet), lower case."""
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _protocol_name(protocol: str | None) -> str:
    """The stored protocol's name, case-folded ('' for none)."""
    return PurePath(protocol).stem.casefold().strip() if protocol else ""


def task_labels(
    records: Sequence[SessionRecord], shipped: dict[str, str] | None = None
) -> dict[int, str]:
    """Task label per session id: shipped name, neutral `protocolNN`, or `free`."""
    allowed = shipped_task_labels() if shipped is None else shipped
    neutral: dict[str, str] = {}
    ordered = sorted(records, key=lambda record: record.id)
    for name in (_protocol_name(record.protocol) for record in ordered):
        if name and name not in allowed and name not in neutral:
            neutral[name] = ""
    width = max(2, len(str(len(neutral))))
    for number, name in enumerate(neutral, start=1):
        neutral[name] = f"{NEUTRAL_TASK_PREFIX}{number:0{width}d}"
    labels = {}
    for record in ordered:
        name = _protocol_name(record.protocol)
        labels[record.id] = (allowed.get(name) or neutral[name]) if name else FREE_TASK
    return labels
