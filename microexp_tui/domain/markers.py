"""Marker codes carried by the board protocol and stored with sessions."""

from __future__ import annotations

from microexp_tui.domain.emotions import EMOTIONS

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

MARKER_OPERATOR_BASE = 0x1000
"""Operator keys: base + key number (0x1001..0x10FF)."""

GUIDED_CHANNELS_MAX = 16


def guided_contraction_code(channel_index: int) -> int:
    """Marker code asking the participant to contract the muscle of one channel (0-based)."""
    if not 0 <= channel_index < GUIDED_CHANNELS_MAX:
        raise ValueError(f"channel index {channel_index} outside 0..{GUIDED_CHANNELS_MAX - 1}")
    return MARKER_GUIDED_CONTRACTION_BASE + channel_index


def channel_of_guided_marker(code: int) -> int | None:
    """0-based channel a guided-contraction marker asks for, or None for other codes."""
    index = code - MARKER_GUIDED_CONTRACTION_BASE
    return index if 0 <= index < GUIDED_CHANNELS_MAX else None


def stimulus_onset_code(emotion: str) -> int:
    """Marker code announcing a stimulus whose target is `emotion`."""
    return MARKER_STIMULUS_ONSET_BASE + EMOTIONS.index(emotion) + 1


def emotion_of_marker(code: int) -> str | None:
    """Target emotion announced by a stimulus-onset marker code, or None for other codes."""
    index = code - MARKER_STIMULUS_ONSET_BASE - 1
    if 0 <= index < len(EMOTIONS):
        return EMOTIONS[index]
    return None


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
    if MARKER_OPERATOR_BASE < code <= MARKER_OPERATOR_BASE + 0xFF:
        return f"operator marker {code - MARKER_OPERATOR_BASE}"
    return f"marker 0x{code:04x}"
