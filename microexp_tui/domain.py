"""Facial-EMG domain facts shared by every stage: emotions, muscles, action units, markers."""

from __future__ import annotations

from dataclasses import dataclass

EMOTIONS: tuple[str, ...] = ("happy", "surprise", "disgust", "sadness", "fear", "anger")
"""The six emotions of the seed dataset, in the order of its blocks."""

NEUTRAL = "neutral"

SENSOR_KINDS: tuple[str, ...] = ("envelope", "raw")
"""Sensor kinds: `envelope` (Muscle Sensor V3 SIG, MyoWare ENV) and `raw` (MyoWare RAW)."""


@dataclass(frozen=True)
class Muscle:
    """A facial muscle with the action units its contraction produces."""

    name: str
    action_units: tuple[str, ...]


ZYGOMATICUS_MAJOR = Muscle("Zygomaticus major", ("AU12",))
FRONTALIS = Muscle("Frontalis", ("AU1", "AU2"))
LEVATOR_LABII = Muscle("Levator labii superioris alaeque nasi", ("AU9", "AU10"))
DEPRESSOR_ANGULI_ORIS = Muscle("Depressor anguli oris", ("AU15",))
CORRUGATOR_SUPERCILII = Muscle("Corrugator supercilii", ("AU4",))
DEPRESSOR_SUPERCILII = Muscle("Depressor supercilii", ("AU4",))
ORBICULARIS_ORIS = Muscle("Orbicularis oris", ("AU23", "AU24"))
ORBICULARIS_OCULI = Muscle("Orbicularis oculi", ("AU6", "AU7"))

SEED_MONTAGE: tuple[Muscle, ...] = (
    ZYGOMATICUS_MAJOR,
    FRONTALIS,
    LEVATOR_LABII,
    DEPRESSOR_ANGULI_ORIS,
    CORRUGATOR_SUPERCILII,
    DEPRESSOR_SUPERCILII,
    ORBICULARIS_ORIS,
    ORBICULARIS_OCULI,
)
"""Channel s1..s8 of the seed dataset -> muscle (measured from the data, see its README)."""

EMOTION_CHANNELS: dict[str, tuple[int, int]] = {
    "happy": (0, 7),
    "sadness": (1, 4),
    "surprise": (1, 6),
    "fear": (5, 6),
    "disgust": (2, 3),
    "anger": (4, 7),
}
"""Emotion -> the two active channels (0-based, seed montage) in the seed dataset."""

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
