"""Which events of a session start a trial, and the condition each one presents.

Trials start at protocol stimulus onsets (condition: the target emotion), imported events
(their trial_type; an import keeps another lab's trial_type as the condition of a `marker`
or `stimulus` event without a code, and where the trial_type is only "stimulus" the event's
label, BIDS `value`, says more), hardware triggers (condition "trigger") and external events
such as LSL markers (their condition, else their label). Conditions are lower case. Rest
onsets, stimulus offsets, guided contractions, pause/resume and operator keys start none:
they are not stimuli a participant responds to, and a rest block's "response" is the
baseline itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.markers import REST_CONDITION, event_meaning, stimulus_condition
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
    if marker.code is None and kind in ("stimulus", "marker"):
        return _imported(kind, condition, marker.label)
    if kind == "stimulus":
        presented = stimulus_condition(marker)
        return None if presented is None else (kind, presented.lower())
    if kind == "trigger":
        return kind, TRIGGER_CONDITION
    if kind == "external":
        text = condition or marker.label or EXTERNAL_CONDITION
        return kind, text.lower()
    return None


def _imported(kind: str, condition: str | None, label: str | None) -> tuple[str, str] | None:
    """(kind, condition) of an imported event without a code: its trial_type (the label when
    the trial_type only says "stimulus"); None for offsets (no trial_type) and rest."""
    if condition is None or condition.lower() == REST_CONDITION:
        return None
    if condition.lower() == "stimulus" and label:
        condition = label
    return kind, condition.lower()


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
