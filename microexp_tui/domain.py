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
MARKER_OPERATOR_BASE = 0x1000
"""Operator keys: base + key number (0x1001..0x10FF)."""


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
    if MARKER_OPERATOR_BASE < code <= MARKER_OPERATOR_BASE + 0xFF:
        return f"operator marker {code - MARKER_OPERATOR_BASE}"
    return f"marker 0x{code:04x}"
