"""What a recording is asked to do (options), what it counts, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from microexp_tui.acquisition.sources import Source
from microexp_tui.device.protocol import Identity
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import ChannelSpec, board_channel
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.inference.prediction import DEFAULT_HOP_MS
from microexp_tui.study.protocols import Protocol

if TYPE_CHECKING:  # onnxruntime is imported only when a recording classifies live
    from microexp_tui.inference.model import EmotionModel


@dataclass
class PipelineCounters:
    """Host-side counters that are not about the link itself."""

    queue_overflows: int = 0
    reconnects: int = 0
    disconnects: int = 0
    markers: int = 0
    unechoed_markers: int = 0
    """Markers sent to a board that was lost before it echoed them (their index is unknown)."""
    refused_commands: int = 0
    predictions: int = 0
    expressions: int = 0
    """Facial expressions detected live (stored as the session's live set)."""


@dataclass
class RecordingOptions:
    """What to record and how, beyond the board itself."""

    participant_code: str | None = None
    protocol: Protocol | None = None
    operator: str | None = None
    mains_hz: float = 50.0
    batch_s: float = 1.0
    ring_s: float = 30.0
    extra_device: dict[str, Any] = field(default_factory=dict)
    model: EmotionModel | None = None
    """Classify live with this model (checked against the montage and rate at start)."""
    model_required: bool = True
    """Whether a model that does not fit stops the start (else the recording goes on without
    it and `Recorder.model_problem` says why: the built-in default model is soft)."""
    hop_ms: float = DEFAULT_HOP_MS
    calibration: Calibration | None = None
    """The participant's calibration; None uses the model card's population default."""


@dataclass
class RecordingSummary:
    """What a finished recording reports (the `record --json` object)."""

    session_id: int
    status: str
    participant_code: str
    channels: int
    sample_rate_hz: float
    """As stored: a legacy sketch's rate measured from its millis over the whole recording."""
    samples_per_channel: int
    simulated: bool
    legacy: bool
    counters: dict[str, int]
    error: str | None = None
    model_problem: str | None = None
    """Why the recording ran without the (soft) live model it was offered, if it did."""

    def as_json(self) -> dict[str, Any]:
        """Flat JSON object: session fields, then every counter at top level."""
        out: dict[str, Any] = {
            "session_id": self.session_id,
            "status": self.status,
            "participant_code": self.participant_code,
            "channels": self.channels,
            "sample_rate_hz": self.sample_rate_hz,
            "samples_per_channel": self.samples_per_channel,
            "simulated": self.simulated,
            "legacy": self.legacy,
        }
        out.update(self.counters)
        out["error"] = self.error
        out["model_problem"] = self.model_problem
        return out


REJECTION_COUNTERS: tuple[tuple[str, str], ...] = (
    ("crc_errors", "frames with a bad checksum"),
    ("malformed", "frames with a malformed payload"),
    ("garbage_bytes", "bytes that were not frames"),
    ("discarded_runs", "stale sample runs"),
    ("legacy_bad_lines", "lines that did not parse"),
    ("disconnects", "disconnections"),
)
"""Counters that say why a recording got no valid sample, with what they count."""


def no_valid_sample_reason(port: str, counters: dict[str, int]) -> str:
    """Why a recording ended `empty`, from its counters, and what to check."""
    seen = [f"{counters[name]} {what}" for name, what in REJECTION_COUNTERS if counters.get(name)]
    heard = "; it sent " + ", ".join(seen) if seen else "; it sent nothing after the handshake"
    return (
        f"No valid sample came from the board on {port}{heard}. The session is kept with "
        "status 'empty'. Check the cable and the baud rate (--baud), and that the board runs "
        "the firmware that ships with this program (firmware/)."
    )


def montage_for(identity: Identity) -> list[ChannelSpec]:
    """Default montage: the seed article's 8 muscles on channels 1-8, unassigned beyond."""
    kinds = ("envelope", "raw")
    specs = []
    for index in range(identity.channel_count):
        muscle = SEED_MONTAGE[index] if index < len(SEED_MONTAGE) else None
        kind_code = identity.sensor_kinds[index] if index < len(identity.sensor_kinds) else 0
        specs.append(
            board_channel(
                index=index,
                label=f"EMG{index + 1}",
                muscle=muscle.name if muscle else None,
                sensor_kind=kinds[kind_code] if kind_code < len(kinds) else "envelope",
                action_units=muscle.action_units if muscle else (),
                adc_bits=identity.adc_bits,
                adc_vref_mv=identity.adc_vref_mv,
            )
        )
    return specs


def device_description(identity: Identity, source: Source) -> dict[str, Any]:
    """Device identity as stored with the session."""
    return {
        "board": identity.board_name,
        "board_id": identity.board_id,
        "firmware_version": identity.firmware_version_text,
        "protocol_version": identity.protocol_version,
        "channel_count": identity.channel_count,
        "sample_rate_hz": source.stream_rate_hz,
        "clock": "board millis, rate measured" if source.legacy else "board sample counter",
        "adc_bits": identity.adc_bits,
        "adc_vref_mv": identity.adc_vref_mv,
        "sensor_kinds": list(identity.sensor_kinds),
        "simulated": identity.simulated,
        "legacy": source.legacy,
        "port": source.port,
    }
