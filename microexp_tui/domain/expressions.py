"""Value types shared by detection, storage, validation and the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ExpressionKind = Literal["micro", "macro"]
MICRO_MAX_MS = 500.0
"""Longest micro-expression (ms): the usual limit in the literature (often 40-500 ms)."""
MIN_ACTIVATION_MS = 40.0
"""Shortest muscle activation kept (ms): shorter bursts are noise, not expressions."""


@dataclass(frozen=True)
class Activation:
    """One muscle activation on one channel over samples [onset_index, offset_index)."""

    channel_index: int
    onset_index: int
    offset_index: int
    apex_index: int
    peak_counts: float
    peak_pct_mvc: float | None
    """Peak as % of the channel's calibrated range (MVC - rest); None without calibration."""

    def duration_ms(self, rate_hz: float) -> float:
        """Length of the activation in milliseconds."""
        return 1000.0 * (self.offset_index - self.onset_index) / rate_hz


@dataclass(frozen=True)
class Expression:
    """Activations overlapping in time across channels: one facial expression."""

    rate_hz: float
    onset_index: int
    offset_index: int
    apex_index: int
    activations: tuple[Activation, ...]
    action_units: tuple[str, ...]
    """Action units of the active muscles through the session montage, e.g. ("AU6", "AU12")."""
    kind: ExpressionKind
    emotion: str | None
    """Emotion hypothesis from the AU combination and/or the classifier; None when unclear."""
    confidence: float
    """Confidence of the emotion hypothesis in [0, 1]."""
    emotion_source: str = "action_units"
    """Where the hypothesis came from: "action_units", "classifier" or "both"."""

    @property
    def onset_s(self) -> float:
        """Onset in seconds from the start of the session's sample stream."""
        return self.onset_index / self.rate_hz

    @property
    def offset_s(self) -> float:
        """Offset in seconds from the start of the session's sample stream."""
        return self.offset_index / self.rate_hz

    @property
    def apex_s(self) -> float:
        """Apex (highest normalised activation) in seconds."""
        return self.apex_index / self.rate_hz

    @property
    def duration_ms(self) -> float:
        """Length from first onset to last offset in milliseconds."""
        return 1000.0 * (self.offset_index - self.onset_index) / self.rate_hz

    @property
    def channels(self) -> tuple[int, ...]:
        """Channels taking part, ascending."""
        return tuple(sorted({activation.channel_index for activation in self.activations}))


def kind_of(duration_ms: float) -> ExpressionKind:
    """Micro when the expression lasts at most MICRO_MAX_MS, else macro."""
    return "micro" if duration_ms <= MICRO_MAX_MS else "macro"


@dataclass(frozen=True)
class AuEvent:
    """One action unit active over [onset_s, offset_s) in a video-coded AU file."""

    action_unit: str
    onset_s: float
    offset_s: float
    peak_intensity: float | None
    """Highest `AUxx_r` intensity (0-5) in the event, None when the file had only `_c`."""

    @property
    def duration_ms(self) -> float:
        """Length of the AU event in milliseconds."""
        return 1000.0 * (self.offset_s - self.onset_s)


@dataclass(frozen=True)
class AuScore:
    """Agreement of EMG expressions with AU events for one action unit (or "overall")."""

    action_unit: str
    emg_events: int
    au_events: int
    matched: int
    precision: float | None
    recall: float | None
    f1: float | None
    median_onset_latency_ms: float | None
    """Median of (AU onset - EMG onset) over matched pairs; positive when the video lags."""


@dataclass(frozen=True)
class ConfirmedMicroExpression:
    """A micro-expression seen both in the EMG and in the video-coded action units."""

    onset_s: float
    duration_ms: float
    action_units: tuple[str, ...]
    emotion: str | None
    onset_latency_ms: float


@dataclass(frozen=True)
class ValidationReport:
    """EMG expressions scored against an AU annotation file within a time tolerance."""

    au_file: str
    au_file_sha256: str
    offset_s: float
    """Added to the AU file's timestamps to put them on the session's sample clock."""
    alignment: str
    """How the offset was found, e.g. "sync marker 0x0400 at 2.000 s" or "explicit offset"."""
    tolerance_ms: float
    overall: AuScore
    per_action_unit: tuple[AuScore, ...]
    confirmed_micro: tuple[ConfirmedMicroExpression, ...]
    covered_s: tuple[float, float] | None = None
    """Session-clock span the AU file covers; EMG expressions outside it are not scored."""
    ignored_action_units: tuple[str, ...] = ()
    """AUs in the file that no montage muscle produces (or montage AUs the file lacks)."""
