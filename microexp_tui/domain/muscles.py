"""Facial muscles, the action units their contraction produces, and the seed montage."""

from __future__ import annotations

from dataclasses import dataclass


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
