"""Events of a session: their kinds, the board's marker codes, and clean free-text labels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from microexp_tui.domain.emotions import EMOTIONS

if TYPE_CHECKING:
    from microexp_tui.domain.recording import MarkerRecord

EVENT_KINDS: tuple[str, ...] = ("stimulus", "marker", "trigger", "external")
"""What produced an event: a presented stimulus (or block), a marker (operator, protocol
step), a hardware trigger, or another system (e.g. an LSL marker stream)."""

REST_CONDITION = "rest"
"""Condition of the rest blocks between stimuli."""

MAX_LABEL_CHARS = 128
"""Longest event label or condition kept; longer text from outside is cut there."""

# Marker codes carried by the MARKER command/frame (16-bit). Layout documented in
# firmware/PROTOCOL.md under "Marker codes".
MARKER_STIMULUS_ONSET_BASE = 0x0100
"""Stimulus onset: base + 1-based index into EMOTIONS (0x0101 happy ... 0x0106 anger)."""

MARKER_STIMULUS_OFFSET = 0x0200

MARKER_REST_ONSET = 0x0300

MARKER_TRIGGER_INPUT = 0x0400
"""Produced by the board itself when its TTL trigger input fires."""

MARKER_GUIDED_CONTRACTION_BASE = 0x0500
"""Guided contraction asked of the participant: base + 0-based channel (0x0500..0x050F)."""

MARKER_PAUSE = 0x0600
"""The operator (or a lost board) paused the protocol here."""

MARKER_RESUME = 0x0601
"""The protocol resumed here."""

MARKER_OPERATOR_BASE = 0x1000
"""Operator keys: base + key number (0x1001..0x10FF)."""

GUIDED_CHANNELS_MAX = 16
GUIDED_RELAX_GAP_S = 1.0
"""Relaxation between two guided contractions of a check or calibration: the operator app
cues them this far apart beyond their own length (exports derive their durations from it)."""


def guided_contraction_code(channel_index: int) -> int:
    """Marker code asking the participant to contract the muscle of one channel (0-based)."""
    if not 0 <= channel_index < GUIDED_CHANNELS_MAX:
        raise ValueError(f"channel index {channel_index} outside 0..{GUIDED_CHANNELS_MAX - 1}")
    return MARKER_GUIDED_CONTRACTION_BASE + channel_index


def channel_of_guided_marker(code: int | None) -> int | None:
    """0-based channel a guided-contraction marker asks for, or None for other codes."""
    if code is None:
        return None
    index = code - MARKER_GUIDED_CONTRACTION_BASE
    return index if 0 <= index < GUIDED_CHANNELS_MAX else None


def stimulus_onset_code(emotion: str) -> int:
    """Marker code announcing a stimulus whose target is `emotion`."""
    return MARKER_STIMULUS_ONSET_BASE + EMOTIONS.index(emotion) + 1


def emotion_of_marker(code: int | None) -> str | None:
    """Target emotion announced by a stimulus-onset marker code, or None for other codes."""
    if code is None:
        return None
    index = code - MARKER_STIMULUS_ONSET_BASE - 1
    if 0 <= index < len(EMOTIONS):
        return EMOTIONS[index]
    return None


def operator_key_of_marker(code: int | None) -> int | None:
    """The operator key (1..255) an operator marker code stands for, or None for other codes."""
    if code is None or not MARKER_OPERATOR_BASE < code <= MARKER_OPERATOR_BASE + 0xFF:
        return None
    return code - MARKER_OPERATOR_BASE


def describe_marker(code: int) -> str:
    """Human-readable label of a marker code, for logs, tables and reports."""
    emotion = emotion_of_marker(code)
    if emotion is not None:
        return f"stimulus onset: {emotion}"
    if code == MARKER_STIMULUS_OFFSET:
        return "stimulus offset"
    if code == MARKER_REST_ONSET:
        return "rest onset"
    if code == MARKER_TRIGGER_INPUT:
        return "trigger input"
    channel = channel_of_guided_marker(code)
    if channel is not None:
        return f"guided contraction: channel {channel + 1}"
    if code == MARKER_PAUSE:
        return "protocol paused"
    if code == MARKER_RESUME:
        return "protocol resumed"
    key = operator_key_of_marker(code)
    if key is not None:
        return f"operator marker {key}"
    return f"marker 0x{code:04x}"


def trial_type_of_code(code: int) -> str:
    """The events-table category (BIDS trial_type) of one of the product's marker codes."""
    if emotion_of_marker(code) is not None:
        return "stimulus"
    if code == MARKER_STIMULUS_OFFSET:
        return "stimulus_offset"
    if code == MARKER_REST_ONSET:
        return "rest"
    if code == MARKER_TRIGGER_INPUT:
        return "trigger"
    if operator_key_of_marker(code) is not None:
        return "operator_marker"
    return "marker"


def code_meaning(code: int) -> tuple[str, str | None]:
    """(kind, condition) of one of the product's marker codes.

    Stimulus onsets are `stimulus` events whose condition is the target emotion, rest
    onsets `stimulus` events of condition `rest`, stimulus offsets `stimulus` events
    without a condition, the board's trigger input a `trigger`, anything else a `marker`.
    """
    emotion = emotion_of_marker(code)
    if emotion is not None:
        return "stimulus", emotion
    if code == MARKER_REST_ONSET:
        return "stimulus", REST_CONDITION
    if code == MARKER_STIMULUS_OFFSET:
        return "stimulus", None
    if code == MARKER_TRIGGER_INPUT:
        return "trigger", None
    return "marker", None


def event_meaning(marker: MarkerRecord) -> tuple[str | None, str | None]:
    """(kind, condition) of a stored event: its own, else what its product code means."""
    if marker.kind is None and marker.code is not None:
        return code_meaning(marker.code)
    return marker.kind, marker.condition


def block_condition(marker: MarkerRecord) -> str | None:
    """The condition a stimulus or rest block opened by this event is in, else None.

    A board's stimulus onset opens its target emotion and its rest onset `rest`; an imported
    stimulus event opens its own condition (an emotion, `neutral`, another lab's trial_type).
    Stimulus events without a condition (offsets) and other kinds open nothing.
    """
    kind, condition = event_meaning(marker)
    return condition if kind == "stimulus" else None


def stimulus_condition(marker: MarkerRecord) -> str | None:
    """The condition a stimulus onset presents; None for offsets, rest and other events."""
    condition = block_condition(marker)
    return None if condition == REST_CONDITION else condition


def is_stimulus_offset(marker: MarkerRecord) -> bool:
    """Whether an event ends the stimulus before it: the board's offset code, or an imported
    stimulus event without a condition."""
    if marker.code is not None:
        return marker.code == MARKER_STIMULUS_OFFSET
    kind, condition = event_meaning(marker)
    return kind == "stimulus" and condition is None


def stimulus_offset_index(markers: Sequence[MarkerRecord], position: int) -> int | None:
    """Sample index of the offset ending the stimulus opened by markers[position]; None when
    the next block starts first or nothing ends it."""
    for later in markers[position + 1 :]:
        if is_stimulus_offset(later):
            return int(later.sample_index)
        if block_condition(later) is not None:
            return None
    return None


_TERMINAL_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape sequence (or a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)


def clean_label(text: str | None) -> str | None:
    """Free text from outside as a safe label: printable, one line, at most MAX_LABEL_CHARS.

    Terminal escape sequences are removed whole, other control and format characters
    (including bidirectional overrides) dropped, any whitespace run becomes one space;
    None when nothing is left.
    """
    if text is None:
        return None
    without_escapes = _TERMINAL_ESCAPE.sub("", str(text))
    spaced = "".join(" " if char.isspace() else char for char in without_escapes)
    printable = "".join(char for char in spaced if char.isprintable())
    cleaned = " ".join(printable.split())[:MAX_LABEL_CHARS].rstrip()
    return cleaned or None
