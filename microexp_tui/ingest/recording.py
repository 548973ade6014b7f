"""One recording read from its files: samples, montage, events and gaps, ready to store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from microexp_tui.domain.channels import MAX_IMPORTED_CHANNELS, ChannelSpec
from microexp_tui.domain.recording import GapRecord, MarkerRecord
from microexp_tui.errors import InputError
from microexp_tui.files import file_sha256
from microexp_tui.ingest import edf_file, events, montage
from microexp_tui.ingest.bids_layout import Recording
from microexp_tui.ingest.sidecars import ChannelRow, EventRow, read_emg_sidecar, read_table

SIMULATED_ACQ = "simulated"
"""The `acq-` label the product's own exports give simulated sessions."""


@dataclass
class ImportedRecording:
    """A recording as the store will hold it, and what the import has to say about it."""

    recording: Recording
    rate_hz: float
    channels: tuple[ChannelSpec, ...]
    sample_format: str
    header: edf_file.EdfHeader
    signal_indices: tuple[int, ...]
    """The header's signals that are the channels, in channel order."""
    placement: np.ndarray
    """(records,) sample index of each data record's first sample (EDF+D: its own time)."""
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
    def n_samples(self) -> int:
        """Samples per channel of the recording, gaps included, end padding excluded."""
        return len(self.present)

    def blocks(self, max_values: int) -> Iterator[tuple[int, np.ndarray]]:
        """(first sample index, digital values) of the present samples, in order, read from
        the file a few records at a time (at most about `max_values` values each)."""
        per_record = self.header.signals[self.signal_indices[0]].samples_per_record
        step = max(1, max_values // (per_record * len(self.signal_indices)))
        for first_record in range(0, self.header.n_records, step):
            last = min(self.header.n_records, first_record + step)
            values = edf_file.read_digital(
                self.header, list(self.signal_indices), first_record, last - first_record
            )
            places = self.placement[first_record:last]
            breaks = np.flatnonzero(np.diff(places) != per_record) + 1
            for group in np.split(np.arange(len(places)), breaks):
                start = int(places[group[0]])
                rows = values[group[0] * per_record : (group[-1] + 1) * per_record]
                stop = min(start + len(rows), self.n_samples)
                for run_start, run_stop in present_runs(self.present[start:stop]):
                    yield start + run_start, rows[run_start:run_stop]

    @property
    def simulated(self) -> bool:
        """Whether the file is the product's export of a simulated session (acq-simulated)."""
        return self.recording.name.entities.get("acq") == SIMULATED_ACQ


def read_recording(recording: Recording, sensor_kind: str | None) -> ImportedRecording:
    """Read one recording's header and sidecars (its samples are read while storing);
    InputError naming the file and the defect."""
    shown = recording.shown()
    header = _header(recording)
    channels_tsv = recording.sidecar("channels", ".tsv")
    events_tsv = recording.sidecar("events", ".tsv")
    montage_found = _montage(recording, header, channels_tsv, sensor_kind)
    indices = montage_found.indices
    rate_hz = header.rate_hz(header.signals[indices[0]])
    annotations, record_starts = edf_file.read_annotations(header)
    placement, start_s = _placement(header, indices[0], record_starts, rate_hz, shown)
    present = _covered(placement, header.signals[indices[0]].samples_per_record)
    reading = events.EventReading()
    if events_tsv is not None:
        table = read_table(events_tsv, EventRow, "events file")
        events.from_events_table(table.rows, rate_hz, len(present), reading)
    events.from_annotations(
        annotations, start_s, rate_hz, len(present), reading, events=events_tsv is None
    )
    if reading.padding_start is not None and 0 <= reading.padding_start < len(present):
        present = present[: reading.padding_start]
    gaps = events.merged_gaps(reading.gaps + _absent_spans(present), len(present))
    for gap in gaps:
        present[gap.first_missing_index : gap.first_missing_index + gap.n_lost] = False
    if not present.any():
        raise InputError(f"{shown} holds no samples of its EMG channels; nothing to import.")
    markers = [m for m in reading.markers if m.sample_index < len(present)]
    used = [p for p in (recording.data_file, channels_tsv, events_tsv) if p is not None]
    return ImportedRecording(
        recording=recording,
        rate_hz=rate_hz,
        channels=montage_found.specs,
        sample_format="int16" if header.bytes_per_sample == 2 else "int32",
        header=header,
        signal_indices=indices,
        placement=placement,
        present=present,
        markers=markers,
        gaps=gaps,
        file_variant=header.variant,
        sources={_relative(recording, p): file_sha256(p) for p in used},
        events_outside=reading.outside + len(reading.markers) - len(markers),
        events_derived=reading.derived,
        skipped_channels=montage_found.skipped,
        warnings=[*montage_found.warnings, *_sidecar_rate_warning(recording, rate_hz)],
    )


@dataclass(frozen=True)
class FoundMontage:
    """The signals that become channels, their specs, and what was skipped or warned."""

    indices: tuple[int, ...]
    specs: tuple[ChannelSpec, ...]
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]


def _montage(
    recording: Recording,
    header: edf_file.EdfHeader,
    channels_tsv: Path | None,
    sensor_kind: str | None,
) -> FoundMontage:
    """The EMG channels at one rate, with muscles, kinds and units; InputError for none."""
    shown = recording.shown()
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
            position, header.signals[i], rows_of[i], sensor_kind, mismatches, shown
        )
        for position, i in enumerate(indices)
    )
    warnings = (*choice.warnings, *montage.unit_warnings(mismatches, shown))
    return FoundMontage(tuple(indices), specs, tuple(skipped), warnings)


def _covered(placement: np.ndarray, per_record: int) -> np.ndarray:
    """(samples,) bool: True where a data record placed at `placement` has a sample."""
    if not len(placement):
        return np.zeros(0, bool)
    if np.all(np.diff(placement) == per_record):
        return np.ones(int(placement[-1]) + per_record, bool)
    covered = np.zeros(int(placement[-1]) + per_record, bool)
    for at in placement:
        covered[at : at + per_record] = True
    return covered


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


def _placement(
    header: edf_file.EdfHeader,
    signal: int,
    record_starts: np.ndarray | None,
    rate_hz: float,
    shown: str,
) -> tuple[np.ndarray, float]:
    """Where each data record's first sample sits, and the first record's start in s.

    Records follow each other, except in EDF+ files whose time-keeping annotations place
    them elsewhere (EDF+D): the time between two records then holds no samples.
    Overlapping records are refused.
    """
    per_record = header.signals[signal].samples_per_record
    consecutive = np.arange(header.n_records, dtype=np.int64) * per_record
    if record_starts is None or header.n_records == 0:
        return consecutive, 0.0
    start_s = float(record_starts[0])
    placed = np.round((record_starts - start_s) * rate_hz).astype(np.int64)
    if np.array_equal(placed, consecutive):
        return consecutive, start_s
    if np.any(np.diff(placed) < per_record):
        raise InputError(
            f"{shown}: its EDF+ data records overlap or go back in time (record start times "
            "from the time-keeping annotations); repair the file with the recording software."
        )
    return placed, start_s


def present_runs(present: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) runs of present samples."""
    if present.all():
        return [(0, len(present))] if len(present) else []
    edges = np.diff(np.concatenate(([0], present.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


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
