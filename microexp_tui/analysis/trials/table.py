"""One row of a trial table (a trial, a muscle, a time bin) and what each column means."""

from __future__ import annotations

from dataclasses import dataclass, fields

VALENCE_MUSCLE = "corrugator-zygomaticus"
"""The pseudo-muscle of the valence index rows: corrugator minus zygomaticus."""
WHOLE_WINDOW_BIN = 0
"""`bin` of the row that covers the whole response window; time bins count from 1."""


@dataclass(frozen=True)
class TrialRow:
    """A trial's response on one muscle in one time bin (or the whole window, bin 0)."""

    site: str
    participant: str
    session: str
    trial: int
    condition: str
    onset_s: float
    muscle: str
    channel: str
    unit: str
    bin: int
    bin_start_s: float
    bin_end_s: float
    baseline: float | None
    mean: float | None
    change: float | None
    pct_change: float | None
    z: float | None
    pct_mvc: float | None
    peak: float | None
    peak_latency_s: float | None
    onset_latency_s: float | None
    excluded: bool
    exclude_reason: str


TRIAL_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TrialRow))
"""Column names of the long table, in order."""

COLUMN_DESCRIPTIONS: dict[str, str] = {
    "site": "Station that recorded the session (its configured site name).",
    "participant": "Participant: the keyed label of the anonymised export (same site secret), "
    "or the station's pseudonymous code with --local-codes.",
    "session": "Session label as in the anonymised export (never an internal id).",
    "trial": "Trial number within the session, 1-based, in onset order.",
    "condition": "Condition: the stimulus's target emotion or the event's trial_type, lower case.",
    "onset_s": "Onset of the trial, seconds from the start of the session's recording.",
    "muscle": "Muscle of the channel (corrugator-zygomaticus: the valence index, the "
    "corrugator's value minus the zygomaticus's).",
    "channel": "Channel label.",
    "unit": "Unit of baseline, mean, change and peak (the envelope's: ADC counts or microvolts).",
    "bin": "Time bin, 1-based; 0 is the whole response window.",
    "bin_start_s": "Start of the bin, seconds relative to onset.",
    "bin_end_s": "End of the bin (exclusive), seconds relative to onset.",
    "baseline": "Mean envelope in the baseline window.",
    "mean": "Mean envelope in the bin.",
    "change": "mean minus baseline.",
    "pct_change": "change as a percentage of baseline (the envelope before any resting-floor "
    "subtraction); empty where the baseline is below the channel's noise floor.",
    "z": "change standardised within participant and muscle over that participant's kept "
    "trials in the selection (separately for bins and for the whole window).",
    "pct_mvc": "change as a percentage of the calibrated maximal contraction above rest; "
    "empty where the session has no valid calibration of the channel.",
    "peak": "Largest envelope value in the bin minus baseline.",
    "peak_latency_s": "Time of the peak, seconds relative to onset.",
    "onset_latency_s": "First activation onset of the channel in the response window, seconds "
    "relative to onset (the activation detector); empty when none.",
    "excluded": "True when the trial is excluded on this muscle (see exclude_reason).",
    "exclude_reason": "Why: lost samples, clipping, flat line or motion in the epoch, the epoch "
    "outside the recording, or beyond k SD within participant and muscle; several joined by "
    "'; '; empty when kept.",
}
"""What each column holds (the BIDS derivative's sidecar and the docs print these)."""
