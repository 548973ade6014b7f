"""Model predictions of exported sessions, with their model cards made safe to publish.

A card may name the participants a model was trained or evaluated on (by code), the
folder it was trained from and the date it was made. Before a card leaves: participant
codes become the same keyed labels the export uses (`sub-<label>`), file paths keep only
their last part, and date-times keep only year and month. The identifying-data scan then
checks the result like any other file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from microexp_tui.export.plan import SessionPlan
from microexp_tui.store.sessions import SessionStore

DATE_TIME = re.compile(
    r"(\d{4}-\d{2})-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
PATH = re.compile(r"(?:^|(?<=[\s\"'(=]))(?:~|/|[A-Za-z]:\\)(?:[^\s,;'\"()]|\s(?=[^\s/\\]*[/\\]))+")
"""An absolute path, spaces included while a later word still has a separator."""
TOKEN_EDGE = r"(?<![A-Za-z0-9_])({})(?![A-Za-z0-9_])"
MIN_CODE_CHARS = 4


@dataclass(frozen=True)
class PredictionTable:
    """One model's predictions of one session, as rows ready to write."""

    model_id: str
    desc: str
    """The model id as a BIDS `desc-` label (letters and digits)."""
    kind: str
    hop_ms: float
    window_samples: int
    classes: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    @property
    def columns(self) -> list[str]:
        """Column names: onset, duration, sample, label, activation, one per class."""
        return ["onset", "duration", "sample", "label", "activation"] + [
            f"p_{name}" for name in self.classes
        ]


def desc_label(model_id: str) -> str:
    """A model id as letters and digits only (BIDS labels allow nothing else)."""
    return re.sub(r"[^A-Za-z0-9]", "", model_id) or "model"


def session_tables(store: SessionStore, plan: SessionPlan) -> list[PredictionTable]:
    """Every prediction run of a session as a table of its windows."""
    tables = []
    for run in store.prediction_runs(plan.record.id):
        records = store.predictions(plan.record.id, run.model_id)
        rate = plan.rate_hz
        rows = [
            (
                max(0, p.sample_index - run.window_samples) / rate,
                run.window_samples / rate,
                int(p.sample_index),
                p.label,
                round(float(p.activation), 6),
                *(round(float(x), 6) for x in p.probabilities),
            )
            for p in records
        ]
        tables.append(
            PredictionTable(
                run.model_id,
                desc_label(run.model_id),
                run.kind,
                float(run.hop_ms),
                int(run.window_samples),
                tuple(run.classes),
                rows,
            )
        )
    return tables


def model_cards(store: SessionStore, plans: Sequence[SessionPlan]) -> dict[str, Mapping[str, Any]]:
    """The raw model card of every model that classified an exported session."""
    cards: dict[str, Mapping[str, Any]] = {}
    for plan in plans:
        for run in store.prediction_runs(plan.record.id):
            cards.setdefault(run.model_id, run.model_card)
    return cards


def sanitize_card(card: Any, labels: Mapping[str, str]) -> Any:
    """A copy of a card with codes as labels, paths as base names, date-times as months.

    `labels` maps participant codes to their `sub-<label>` form.
    """
    return _sanitize(card, _Rewriter(labels))


class _Rewriter:
    """Rewrites one string of a card (see `sanitize_card`)."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        """Prepare the code pattern (codes long enough to be replaced inside text)."""
        self.exact = {code.strip().casefold(): label for code, label in labels.items()}
        long_codes = sorted((c for c in self.exact if len(c) >= MIN_CODE_CHARS), key=len)
        alternatives = "|".join(re.escape(c) for c in reversed(long_codes))
        self.codes = re.compile(TOKEN_EDGE.format(alternatives), re.I) if long_codes else None

    def __call__(self, text: str) -> str:
        """The string with codes, paths and date-times rewritten."""
        if text.strip().casefold() in self.exact:
            return self.exact[text.strip().casefold()]
        if self.codes is not None:
            text = self.codes.sub(lambda m: self.exact[m.group(1).casefold()], text)
        text = PATH.sub(lambda m: re.split(r"[\\/]", m.group(0).rstrip("\\/"))[-1], text)
        return DATE_TIME.sub(lambda m: m.group(1), text)


def _sanitize(value: Any, rewrite: _Rewriter) -> Any:
    """Apply `rewrite` to every key and string of nested JSON data."""
    if isinstance(value, dict):
        return {rewrite(str(k)): _sanitize(v, rewrite) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitize(v, rewrite) for v in value]
    if isinstance(value, str):
        return rewrite(value)
    return value
