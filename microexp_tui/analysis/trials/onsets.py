"""Which events of a session start a trial, and the condition each one presents.

Trials start at protocol stimulus onsets (condition: the target emotion), imported stimulus
events (their trial_type), hardware triggers (condition "trigger") and external events such
as LSL markers (their condition, else their label). Rest onsets, stimulus offsets, guided
contractions, pause/resume and operator keys start none: they are not stimuli a participant
responds to, and a rest block's "response" is the baseline itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.markers import event_meaning, stimulus_condition
from microexp_tui.domain.recording import MarkerRecord

TRIGGER_CONDITION = "trigger"
"""Condition of a hardware trigger's trial."""
EXTERNAL_CONDITION = "external"
"""Condition of an external event that has neither a condition nor a label."""


@dataclass(frozen=True)
class TrialOnset:
    """A trial's start: its number, sample index, time, condition and the event's kind."""

    trial: int
    sample_index: int
    onset_s: float
    condition: str
    kind: str


def onset_condition(marker: MarkerRecord) -> tuple[str, str] | None:
    """(kind, condition) of an event that starts a trial, None for one that does not."""
    kind, condition = event_meaning(marker)
    if kind == "stimulus":
        presented = stimulus_condition(marker)
        return None if presented is None else (kind, presented.lower())
    if kind == "trigger":
        return kind, TRIGGER_CONDITION
    if kind == "external":
        text = condition or marker.label or EXTERNAL_CONDITION
        return kind, text.lower()
    return None


def trial_onsets(markers: Sequence[MarkerRecord], sample_rate_hz: float) -> list[TrialOnset]:
    """The trials' onsets among a session's events, numbered from 1 in sample order."""
    found = [
        (int(marker.sample_index), meaning)
        for marker in markers
        if (meaning := onset_condition(marker)) is not None
    ]
    found.sort(key=lambda item: item[0])
    return [
        TrialOnset(number, index, index / float(sample_rate_hz), condition, kind)
        for number, (index, (kind, condition)) in enumerate(found, start=1)
    ]
