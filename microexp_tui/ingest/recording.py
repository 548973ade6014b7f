"""One recording read from its files: samples, montage, events and gaps, ready to store."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from microexp_tui.domain.channels import MAX_IMPORTED_CHANNELS, ChannelSpec
from microexp_tui.domain.recording import GapRecord, MarkerRecord
from microexp_tui.errors import InputError
from microexp_tui.ingest import edf_file, events, montage
from microexp_tui.ingest.bids_layout import Recording
from microexp_tui.ingest.sidecars import ChannelRow, EventRow, read_emg_sidecar, read_table

HASH_CHUNK_BYTES = 4 * 1024 * 1024
SIMULATED_ACQ = "simulated"
"""The `acq-` label the product's own exports give simulated sessions."""


@dataclass
class ImportedRecording:
    """A recording as the store will hold it, and what the import has to say about it."""

    recording: Recording
    rate_hz: float
    channels: tuple[ChannelSpec, ...]
    sample_format: str
    digital: np.ndarray
    """(samples, channels) digital values, int16 (EDF) or int32 (BDF)."""
    present: np.ndarray
    """(samples,) bool: False inside gaps (between EDF+D records or annotated as lost)."""
    markers: list[MarkerRecord]
    gaps: list[GapRecord]
    file_variant: str
    sources: dict[str, str]
    """Source files (relative to the dataset root) -> SHA-256."""
    events_outside: int = 0
    events_derived: int = 0
    skipped_channels: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)

    @property
    def simulated(self) -> bool:
        """Whether the file is the product's export of a simulated session (acq-simulated)."""
        return self.recording.name.entities.get("acq") == SIMULATED_ACQ


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_recording(recording: Recording, sensor_kind: str | None) -> ImportedRecording:
    """Read one recording's data file and sidecars; InputError naming the file and defect."""
    shown = recording.shown()
    header = _header(recording)
    channels_tsv = recording.sidecar("channels", ".tsv")
    events_tsv = recording.sidecar("events", ".tsv")
    rows = read_table(channels_tsv, ChannelRow, "channels file").rows if channels_tsv else None
    choice = montage.choose_channels(header.signals, rows, shown)
    if not choice.indices:
        raise InputError(
            f"{shown} has no EMG signal (skipped: {', '.join(choice.skipped) or 'none'}); "
            "nothing to import. Its channels.tsv must type the EMG channels `EMG`."
        )
    indices, skipped = _one_rate(header, list(choice.indices), list(choice.skipped))
    if len(indices) > MAX_IMPORTED_CHANNELS:
        raise InputError(
            f"{shown} has {len(indices)} EMG channels; at most {MAX_IMPORTED_CHANNELS} can "
            "be imported. Split the recording into files of fewer channels."
        )
    mismatches: list[tuple[str, str, str]] = []
    rows_of = dict(zip(choice.indices, choice.rows, strict=True))
    specs = tuple(
        montage.channel_spec(
            position, header.signals[index], rows_of[index], sensor_kind, mismatches
        )
        for position, index in enumerate(indices)
    )
    warnings = [*choice.warnings, *montage.unit_warnings(mismatches, shown)]
    rate_hz = header.rate_hz(header.signals[indices[0]])
    warnings += _sidecar_rate_warning(recording, rate_hz)
    digital = edf_file.read_digital(header, indices)
    annotations, record_starts = edf_file.read_annotations(header)
    digital, present, start_s = _timeline(header, digital, record_starts, rate_hz, shown)
    reading = events.EventReading()
    if events_tsv is not None:
        table = read_table(events_tsv, EventRow, "events file")
        events.from_events_table(table.rows, rate_hz, len(digital), reading)
    events.from_annotations(
        annotations, start_s, rate_hz, len(digital), reading, events=events_tsv is None
    )
    if reading.padding_start is not None and 0 <= reading.padding_start < len(digital):
        digital, present = digital[: reading.padding_start], present[: reading.padding_start]
    gaps = events.merged_gaps(reading.gaps + _absent_spans(present), len(digital))
    for gap in gaps:
        present[gap.first_missing_index : gap.first_missing_index + gap.n_lost] = False
    markers = [m for m in reading.markers if m.sample_index < len(digital)]
    used = [p for p in (recording.data_file, channels_tsv, events_tsv) if p is not None]
    return ImportedRecording(
        recording=recording,
        rate_hz=rate_hz,
        channels=specs,
        sample_format="int16" if header.bytes_per_sample == 2 else "int32",
        digital=digital,
        present=present,
        markers=markers,
        gaps=gaps,
        file_variant=header.variant,
        sources={_relative(recording, p): sha256_of(p) for p in used},
        events_outside=reading.outside + len(reading.markers) - len(markers),
        events_derived=reading.derived,
        skipped_channels=tuple(skipped),
        warnings=warnings,
    )


def _header(recording: Recording) -> edf_file.EdfHeader:
    """The data file's header; a refusal adds what the *_emg.json sidecar declares."""
    try:
        return edf_file.read_header(recording.data_file)
    except InputError as err:
        raise InputError(f"{err}{_sidecar_size_note(recording)}") from None


def _sidecar_size_note(recording: Recording) -> str:
    """` Its sidecar declares ...` when the sidecar's duration needs far more data bytes."""
    path = recording.sidecar("emg", ".json")
    try:
        sidecar = read_emg_sidecar(path) if path else None
    except InputError:
        return ""
    if sidecar is None or not (
        sidecar.RecordingDuration and sidecar.SamplingFrequency and sidecar.EMGChannelCount
    ):
        return ""
    needed = sidecar.RecordingDuration * sidecar.SamplingFrequency * sidecar.EMGChannelCount * 2
    size = recording.data_file.stat().st_size
    if size >= needed / 2:
        return ""
    return (
        f" Its sidecar {path.name if path else ''} declares {sidecar.RecordingDuration:g} s at "
        f"{sidecar.SamplingFrequency:g} Hz on {sidecar.EMGChannelCount} EMG channels, at least "
        f"{needed:,.0f} bytes of 16-bit samples, but the file has only {size:,} bytes."
    )


def _sidecar_rate_warning(recording: Recording, rate_hz: float) -> list[str]:
    """A warning when *_emg.json gives another SamplingFrequency than the file's header."""
    path = recording.sidecar("emg", ".json")
    said = read_emg_sidecar(path).SamplingFrequency if path else None
    if said is None or abs(said - rate_hz) <= 1e-6 * rate_hz:
        return []
    return [
        f"{recording.shown()}: {path.name if path else ''} gives SamplingFrequency {said:g} Hz "
        f"but the file's header says {rate_hz:g} Hz; the header's rate is used"
    ]


def _one_rate(
    header: edf_file.EdfHeader, indices: list[int], skipped: list[str]
) -> tuple[list[int], list[str]]:
    """The EMG signals at the rate most of them share; the others are skipped and named."""
    rates = Counter(header.signals[i].samples_per_record for i in indices)
    common = rates.most_common(1)[0][0]
    keep = [i for i in indices if header.signals[i].samples_per_record == common]
    for i in indices:
        if i not in keep:
            signal = header.signals[i]
            skipped.append(f"{signal.label} (EMG at {header.rate_hz(signal):g} Hz, another rate)")
    return keep, skipped


def _timeline(
    header: edf_file.EdfHeader,
    digital: np.ndarray,
    record_starts: np.ndarray | None,
    rate_hz: float,
    shown: str,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Samples placed on the recording's time line: EDF+D records at their own start times.

    Returns (digital, present mask, start time of the first record in s). Time between
    discontinuous records becomes absent samples; overlapping records are refused.
    """
    present = np.ones(len(digital), bool)
    if record_starts is None or header.n_records == 0:
        return digital, present, 0.0
    start_s = float(record_starts[0])
    per_record = len(digital) // header.n_records
    first = np.round((record_starts - start_s) * rate_hz).astype(np.int64)
    expected = np.arange(header.n_records, dtype=np.int64) * per_record
    if np.array_equal(first, expected):
        return digital, present, start_s
    if np.any(np.diff(first) < per_record):
        raise InputError(
            f"{shown}: its EDF+ data records overlap or go back in time (record start times "
            "from the time-keeping annotations); repair the file with the recording software."
        )
    total = int(first[-1]) + per_record
    placed = np.zeros((total, digital.shape[1]), digital.dtype)
    present = np.zeros(total, bool)
    for record, at in enumerate(first):
        placed[at : at + per_record] = digital[record * per_record : (record + 1) * per_record]
        present[at : at + per_record] = True
    return placed, present, start_s


def _absent_spans(present: np.ndarray) -> list[GapRecord]:
    """Runs of absent samples as gaps."""
    if present.all():
        return []
    edges = np.diff(np.concatenate(([1], present.astype(np.int8), [1])))
    starts, stops = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    return [GapRecord(int(a), int(b - a)) for a, b in zip(starts, stops, strict=True)]


def _relative(recording: Recording, path: Path) -> str:
    """A source file's path relative to the dataset root (its name outside a dataset)."""
    if recording.root is not None:
        try:
            return path.relative_to(recording.root).as_posix()
        except ValueError:
            pass
    return path.name
