"""Whether a model fits a session: channel count, labels or muscles, sensor kinds and units,
and for live classification the sample rate.

Called where a model is bound to a session (live recording, reprocess, evaluation) so that a
model is refused before it classifies anything it was not made for, with a message naming
the first channel that does not fit and why. The values a model sees are a board session's
ADC counts, and an imported session's values in its channels' physical units.
"""

from __future__ import annotations

from collections.abc import Sequence

from microexp_tui.domain.calibration import COUNTS
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.errors import ModelError
from microexp_tui.inference.card import ChannelInfo, ModelCard
from microexp_tui.inference.windows import decimation_factor


def value_unit(spec: ChannelSpec, source: str) -> str:
    """Unit of the values a classifier gets on this channel: counts from a board, else physical."""
    return COUNTS if source == "board" else spec.unit


def session_channels(channels: Sequence[ChannelSpec], source: str = "board") -> list[ChannelInfo]:
    """A session's montage as the model-side description of its channels."""
    return [
        ChannelInfo(
            spec.label,
            spec.muscle or "",
            spec.sensor_kind,
            spec.action_units,
            value_unit(spec, source),
        )
        for spec in channels
    ]


def _same(first: str, second: str) -> bool:
    """Case-insensitive equality of two names."""
    return first.strip().casefold() == second.strip().casefold()


def fit_problem(card: ModelCard, channels: Sequence[ChannelInfo]) -> str | None:
    """Why the model does not fit these channels (None when it fits)."""
    expected = card.channels
    if len(channels) != len(expected):
        return (
            f"model {card.model_id} expects {len(expected)} channels "
            f"({', '.join(c.muscle for c in expected)}) but the data have {len(channels)}"
        )
    for index, (ours, theirs) in enumerate(zip(expected, channels, strict=True), start=1):
        if not (_same(ours.muscle, theirs.muscle) or _same(ours.muscle, theirs.name)):
            return (
                f"channel {index} is {theirs.muscle or theirs.name or 'unassigned'} but model "
                f"{card.model_id} expects {ours.muscle} there (order: "
                f"{', '.join(c.muscle for c in expected)})"
            )
        if ours.sensor_kind != theirs.sensor_kind:
            return (
                f"channel {index} ({ours.muscle}) is a {theirs.sensor_kind} sensor but model "
                f"{card.model_id} was trained on {ours.sensor_kind} sensors"
            )
        if not _same(ours.unit, theirs.unit):
            return (
                f"channel {index} ({ours.muscle}) is in {theirs.unit} but model "
                f"{card.model_id} was trained on values in {ours.unit}"
            )
    return None


def check_fit(card: ModelCard, channels: Sequence[ChannelInfo], what: str = "the session") -> None:
    """ModelError naming the channel and the reason when the model does not fit."""
    problem = fit_problem(card, channels)
    if problem is not None:
        raise ModelError(
            f"The model does not fit {what}: {problem}. Use a model trained on data of this "
            "montage, sensor kind and unit (see its .card.json), or train one with "
            "`microexp train`."
        )


def check_session_fit(
    card: ModelCard, channels: Sequence[ChannelSpec], source: str = "board"
) -> None:
    """`check_fit` for a session's montage (board or imported)."""
    check_fit(card, session_channels(channels, source), f"this {source} session")


def check_live_fit(card: ModelCard, channels: Sequence[ChannelSpec], sample_rate_hz: float) -> None:
    """`check_session_fit` for a board session about to be classified live, and its rate: the
    live rows need a whole multiple of the model's rate (ModelError otherwise)."""
    check_session_fit(card, channels, "board")
    decimation_factor(sample_rate_hz, card.rate_hz)
