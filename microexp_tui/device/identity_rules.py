"""What firmware/PROTOCOL.md allows a board to declare in its IDENTITY frame.

A board that declares something outside these ranges is refused at the handshake, before a
session exists, with a message naming every value that is wrong.
"""

from __future__ import annotations

from microexp_tui.device.protocol import (
    MAX_CHANNELS,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    Identity,
    SensorKind,
)
from microexp_tui.errors import ProtocolError

MAX_ADC_BITS = 15
"""SAMPLES carry one u16 per channel, and board sessions store counts as int16: an ADC of
more than 15 bits could send counts the session cannot hold."""


def identity_violations(identity: Identity) -> list[str]:
    """What the identity declares that the protocol does not allow (empty when it is valid)."""
    problems = []
    if not MIN_RATE_HZ <= identity.sample_rate_hz <= MAX_RATE_HZ:
        problems.append(
            f"a sample rate of {identity.sample_rate_hz} Hz (allowed {MIN_RATE_HZ}..{MAX_RATE_HZ})"
        )
    if not 1 <= identity.channel_count <= MAX_CHANNELS:
        problems.append(f"{identity.channel_count} channels (allowed 1..{MAX_CHANNELS})")
    if not 1 <= identity.adc_bits <= MAX_ADC_BITS:
        problems.append(f"{identity.adc_bits} ADC bits (allowed 1..{MAX_ADC_BITS})")
    if identity.adc_vref_mv <= 0:
        problems.append(f"an ADC reference of {identity.adc_vref_mv} mV (must be above 0)")
    known = {int(kind) for kind in SensorKind}
    unknown = sorted({kind for kind in identity.sensor_kinds if kind not in known})
    if unknown:
        problems.append(
            f"unknown sensor kind {', '.join(map(str, unknown))} (known: "
            + ", ".join(f"{int(kind)} = {kind.name.lower()}" for kind in SensorKind)
            + ")"
        )
    return problems


def check_declared_setup(identity: Identity, port: str) -> Identity:
    """The identity when the protocol allows it; ProtocolError naming what is wrong otherwise."""
    problems = identity_violations(identity)
    if problems:
        raise ProtocolError(
            f"The board on {port} ({identity.board_name or 'unnamed'}) declared "
            + "; ".join(problems)
            + ", which firmware/PROTOCOL.md does not allow, so nothing was recorded. Flash the "
            "firmware that ships with this program (firmware/), or check that this port is the "
            "EMG board."
        )
    return identity
