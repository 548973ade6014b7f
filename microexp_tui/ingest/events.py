"""Events of an imported recording: events.tsv rows or EDF+ annotations as labelled events.

An onset becomes the sample index round(onset * rate). The trial_type is kept, sanitised,
as the condition; one that names an emotion makes a stimulus with that target. The
product's own exports are read back exactly: an integer `value` is the event's marker code,
and a row whose trial_type is the product's name for that code gets the code's kind and
condition; `acquisition_gap` rows and `BAD_ACQ_SKIP` annotations are gaps, the
`BAD_END_PADDING` annotation marks samples that were never recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.domain.markers import (
    EVENT_KINDS,
    GUIDED_CHANNELS_MAX,
    MARKER_OPERATOR_BASE,
    MARKER_PAUSE,
    MARKER_REST_ONSET,
    MARKER_RESUME,
    MARKER_STIMULUS_OFFSET,
    MARKER_TRIGGER_INPUT,
    clean_label,
    code_meaning,
    describe_marker,
    emotion_of_marker,
    guided_contraction_code,
    stimulus_onset_code,
    trial_type_of_code,
)
from microexp_tui.domain.recording import GapRecord, MarkerRecord
from microexp_tui.ingest.edf_file import Annotation
from microexp_tui.ingest.sidecars import EventRow

IMPORT_SOURCE = "import"
"""Source of an imported event whose file names none."""
GAP_TRIAL_TYPE = "acquisition_gap"
GAP_ANNOTATION = "BAD_ACQ_SKIP"
PADDING_ANNOTATION = "BAD_END_PADDING"
DETECTOR_SOURCES = ("artifact_detector", "expression_detector")
"""Sources of exported detection results: re-derived from the samples, not imported."""


def _described_codes() -> dict[str, int]:
    """The EDF+ annotation text of each of the product's marker codes -> the code."""
    codes = [stimulus_onset_code(emotion) for emotion in EMOTIONS]
    codes += [MARKER_STIMULUS_OFFSET, MARKER_REST_ONSET, MARKER_TRIGGER_INPUT]
    codes += [MARKER_PAUSE, MARKER_RESUME]
    codes += [guided_contraction_code(channel) for channel in range(GUIDED_CHANNELS_MAX)]
    codes += [MARKER_OPERATOR_BASE + key for key in range(1, 0x100)]
    return {describe_marker(code): code for code in codes}


DESCRIBED_CODES = _described_codes()


@dataclass
class EventReading:
    """What the events of one recording became: events, gaps, and what was left out."""

    markers: list[MarkerRecord] = field(default_factory=list)
    gaps: list[GapRecord] = field(default_factory=list)
    outside: int = 0
    """Events whose onset lies outside the recording (counted, not stored)."""
    derived: int = 0
    """Exported detection results (artifacts, expressions) left to re-detection."""
    padding_start: int | None = None
    """First sample of end padding (BAD_END_PADDING), which is not part of the recording."""


def _code(value: str | None) -> int | None:
    """An event's `value` as a 16-bit marker code when it is a whole number, else None."""
    if value is None or not value.strip().isdigit():
        return None
    code = int(value)
    return code if code <= 0xFFFF else None


def _emotion(*texts: str | None) -> str | None:
    """The first of the texts that names an emotion (or neutral), lower case."""
    for text in texts:
        if text and text.strip().lower() in (*EMOTIONS, NEUTRAL):
            return text.strip().lower()
    return None


def _kind_and_condition(trial_type: str | None, target: str | None) -> tuple[str, str | None]:
    """(kind, condition) of a foreign event: an emotion is a stimulus with that target."""
    emotion = _emotion(target, trial_type)
    if emotion is not None:
        return "stimulus", emotion
    condition = clean_label(trial_type)
    kind = condition.lower() if condition and condition.lower() in EVENT_KINDS else "marker"
    return kind, condition


def from_events_table(
    rows: Sequence[EventRow], rate_hz: float, n_samples: int, reading: EventReading
) -> None:
    """Add the rows of an events.tsv to `reading` (events outside [0, n_samples) counted)."""
    for row in rows:
        sample = round(row.onset * rate_hz)
        if row.source in DETECTOR_SOURCES:
            reading.derived += 1
            continue
        if row.trial_type == GAP_TRIAL_TYPE and row.duration:
            reading.gaps.append(GapRecord(sample, max(1, round(row.duration * rate_hz))))
            continue
        if not 0 <= sample < n_samples:
            reading.outside += 1
            continue
        code = _code(row.value)
        own = code is not None and row.trial_type == trial_type_of_code(code)
        if (
            own
            and code is not None
            and _emotion(row.target_emotion) in (None, emotion_of_marker(code))
        ):
            kind, condition = code_meaning(code)
        else:
            kind, condition = _kind_and_condition(row.trial_type, row.target_emotion)
        label = row.label if row.label is not None else (row.value if code is None else None)
        reading.markers.append(
            MarkerRecord(
                sample,
                code,
                clean_label(row.source) or IMPORT_SOURCE,
                clean_label(label),
                None,
                kind,
                clean_label(condition),
            )
        )


def from_annotations(
    annotations: Sequence[Annotation],
    start_s: float,
    rate_hz: float,
    n_samples: int,
    reading: EventReading,
    *,
    events: bool,
) -> None:
    """Add EDF+ annotations (onsets from `start_s`): gaps, padding, and events if `events`."""
    for note in annotations:
        sample = round((note.onset_s - start_s) * rate_hz)
        if note.text == PADDING_ANNOTATION:
            reading.padding_start = sample
            continue
        if note.text == GAP_ANNOTATION and note.duration_s:
            reading.gaps.append(GapRecord(sample, max(1, round(note.duration_s * rate_hz))))
            continue
        if not events:
            continue
        if not 0 <= sample < n_samples:
            reading.outside += 1
            continue
        code = DESCRIBED_CODES.get(note.text)
        if code is not None:
            kind, condition = code_meaning(code)
            reading.markers.append(
                MarkerRecord(sample, code, IMPORT_SOURCE, None, None, kind, condition)
            )
            continue
        kind, condition = _kind_and_condition(note.text, None)
        reading.markers.append(
            MarkerRecord(sample, None, IMPORT_SOURCE, clean_label(note.text), None, kind, condition)
        )


def merged_gaps(gaps: Sequence[GapRecord], n_samples: int) -> list[GapRecord]:
    """Gaps inside the recording, sorted, overlapping ones merged (the same gap twice is one)."""
    spans = sorted(
        (max(0, g.first_missing_index), min(n_samples, g.first_missing_index + g.n_lost))
        for g in gaps
    )
    merged: list[list[int]] = []
    for start, stop in spans:
        if stop <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return [GapRecord(start, stop - start) for start, stop in merged]
