"""EDF+ (or BDF+) files of stored sessions (pyedflib), anonymised as EDF+ prescribes.

Sessions stored as int16 (the board's counts, 16-bit EDF imports) become EDF+ files;
sessions stored as int32 (24-bit BDF imports) become BDF+ files, whose 24-bit samples hold
them unchanged; float32 sessions become BDF+ files of values quantised onto 24 bits over
each channel's range (`bdf_float`). Samples are the stored values written unchanged as
digital values, with each signal's physical range taken from its channel (`ChannelSpec`:
unit, scale, offset, input range), so every reader converts them exactly to physical units:
for the board, digital 0..2**bits maps to 0..Vref mV (10 bits, 5000 mV: 4.8828125 mV per
count). Samples lost in transit are filled with the sensor's resting level (the bottom of
the range for envelope channels, mid-scale for raw ones) and annotated `BAD_ACQ_SKIP`; the
last data record (1 s, or the few seconds a fractional sample rate needs) is completed the
same way and annotated `BAD_END_PADDING`. MNE skips `BAD_` spans in epoching and filtering.

Header: patient field `sub-<label> X X X` (code, sex, birthdate, name: 'X' is the EDF+
value for unknown or anonymised subfields); recording field `Startdate X X X <equipment>`
(+ ` SIMULATED`); start date 01.01.85 00.00.00, the conventional anonymised date.
"""

from __future__ import annotations

import errno
import math
import re
import shutil
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.errors import InputError
from microexp_tui.export import bdf_float
from microexp_tui.export.plan import SessionPlan
from microexp_tui.store.sessions import SessionStore

ANONYMOUS_START = datetime(1985, 1, 1, 0, 0, 0)
DISK_NEARLY_FULL_BYTES = 1024 * 1024
"""Free space below which a record pyedflib could not write is blamed on a full disk."""
MAX_RECORD_S = 60
"""Longest EDF data record: a record must hold a whole number of samples."""
WINDOW_S = 60
"""Seconds read from the store and written per step (bounded memory)."""
MAX_ANNOTATION_CHARS = 40
"""edflib truncates longer annotation texts."""
MAX_ANNOTATION_SIGNALS = 64
PADDING_ANNOTATION = "BAD_END_PADDING"
SIMULATED_FLAG = "SIMULATED"
EDF_ANNOTATIONS_LABEL = b"EDF Annotations"
ANNOTATION_LABELS = (EDF_ANNOTATIONS_LABEL, b"BDF Annotations")
EDF_DIGITAL_RANGE = (-32768, 32767)
BDF_DIGITAL_RANGE = bdf_float.BDF_DIGITAL_RANGE
BDF_VERSION = b"\xffBIOSEMI"


@dataclass(frozen=True)
class DataFormat:
    """How a session's stored values are written: EDF (16-bit) or BDF (24-bit) samples."""

    extension: str
    digital_range: tuple[int, int]
    dtype: type[np.integer]
    file_type: str
    """The pyedflib file type constant's name."""


EDF_FORMAT = DataFormat(".edf", EDF_DIGITAL_RANGE, np.int16, "FILETYPE_EDFPLUS")
BDF_FORMAT = DataFormat(".bdf", BDF_DIGITAL_RANGE, np.int32, "FILETYPE_BDFPLUS")
FLOAT_BDF_FORMAT = DataFormat(".bdf", BDF_DIGITAL_RANGE, np.int32, "FILETYPE_BDFPLUS")
"""Float sessions: BDF with each channel's values quantised onto 24 bits (`bdf_float`)."""
FORMATS_BY_SAMPLE_FORMAT: dict[str, DataFormat] = {
    "int16": EDF_FORMAT,
    "int32": BDF_FORMAT,
    "float32": FLOAT_BDF_FORMAT,
}


def data_format(plan: SessionPlan) -> DataFormat:
    """EDF for int16 sessions, BDF for int32 and float32 ones; InputError for others."""
    found = FORMATS_BY_SAMPLE_FORMAT.get(plan.record.sample_format)
    if found is None:
        raise InputError(
            f"Session {plan.record.id} stores {plan.record.sample_format} values, which neither "
            "EDF nor BDF can hold; export it with --format parquet instead."
        )
    return found


@dataclass(frozen=True)
class EdfSignal:
    """How one channel's stored values become an EDF signal: its digital and physical ranges."""

    digital_min: int
    digital_max: int
    physical_min: float
    physical_max: float
    resting: int
    """Fill value of lost samples: the range's bottom (envelopes) or middle (raw sensors)."""


def edf_signal(
    spec: ChannelSpec, session_id: int, digital_range: tuple[int, int] = EDF_DIGITAL_RANGE
) -> EdfSignal:
    """The EDF/BDF signal of a channel, from its input range; InputError when it cannot fit."""
    low, high = spec.physical_min, spec.physical_max
    if low is None or high is None:
        raise InputError(
            f"Channel {spec.label} of session {session_id} has no known input range, which an "
            "EDF header needs; export the session with --format parquet instead."
        )
    digital = sorted(round(spec.to_stored(value)) for value in (low, high))
    if digital[0] < digital_range[0] or digital[1] > digital_range[1]:
        bits = "EDF's 16" if digital_range == EDF_DIGITAL_RANGE else "BDF's 24"
        raise InputError(
            f"Channel {spec.label} of session {session_id} stores values {digital[0]}.."
            f"{digital[1]}, beyond {bits} bits; export it with --format parquet instead."
        )
    resting = (digital[0] + digital[1]) // 2 if spec.sensor_kind == "raw" else digital[0]
    return EdfSignal(digital[0], digital[1], low, high, resting)


def record_duration_s(plan: SessionPlan) -> int:
    """Seconds per data record: the fewest that hold a whole number of samples."""
    for seconds in range(1, MAX_RECORD_S + 1):
        samples = plan.rate_hz * seconds
        if abs(samples - round(samples)) < 1e-9:
            return seconds
    raise InputError(
        f"Session {plan.record.id} samples at {plan.rate_hz:g} Hz, which no EDF data record of "
        f"up to {MAX_RECORD_S} s holds a whole number of; export it with --format parquet."
    )


def equipment_name(plan: SessionPlan) -> str:
    """The board's name as one EDF+ subfield (ASCII, spaces as '_'), or X."""
    board = plan.record.device.get("board") if hasattr(plan.record.device, "get") else None
    text = re.sub(r"[^\x21-\x7e]+", "_", str(board or "").strip())[:30]
    return text or "X"


def recording_field(plan: SessionPlan) -> str:
    """The anonymised EDF+ 'local recording identification' field."""
    flag = f" {SIMULATED_FLAG}" if plan.simulated else ""
    return f"Startdate X X X {equipment_name(plan)}{flag}"


def signal_headers(plan: SessionPlan, signals: Sequence[EdfSignal]) -> list[dict[str, Any]]:
    """pyedflib signal headers: each channel's exact ranges and unit, sensor kind as transducer."""
    return [
        {
            "label": name,
            "dimension": spec.unit,
            "sample_frequency": plan.rate_hz,
            "physical_min": signal.physical_min,
            "physical_max": signal.physical_max,
            "digital_min": signal.digital_min,
            "digital_max": signal.digital_max,
            "transducer": f"EMG {spec.sensor_kind} sensor"[:80],
            "prefilter": "none (stored ADC samples)",
        }
        for name, spec, signal in zip(
            plan.channel_names, plan.record.channels, signals, strict=True
        )
    ]


def write_session_edf(
    path: Path, plan: SessionPlan, store: SessionStore, notes: Sequence[tuple[float, float, str]]
) -> Path:
    """Write one session as an EDF+C (or BDF+C) file at `path` (its extension set by the
    session's sample format) with `notes` as annotations; returns the path written."""
    import pyedflib

    fmt = data_format(plan)
    path = path.with_suffix(fmt.extension)
    signals = _signals(plan, store, fmt)
    record_s = record_duration_s(plan)
    per_record = round(plan.rate_hz * record_s)
    n_records = math.ceil(plan.record.samples_per_channel / per_record)
    notes = _with_padding(plan, notes, n_records * record_s)
    file_type = getattr(pyedflib, fmt.file_type)
    writer = pyedflib.EdfWriter(str(path), len(plan.channel_names), file_type)
    try:
        if record_s != 1:
            with warnings.catch_warnings():  # pyedflib warns that forcing it is unusual
                warnings.simplefilter("ignore")
                writer.setDatarecordDuration(record_s)
        writer.setSignalHeaders(signal_headers(plan, signals))
        writer.setPatientCode(f"sub-{plan.subject.label}")
        writer.setEquipment(equipment_name(plan))
        writer.setStartdatetime(ANONYMOUS_START)
        writer.set_number_of_annotation_signals(_annotation_signals(len(notes), n_records, plan))
        window_records = max(1, WINDOW_S // record_s)
        blocks = _record_blocks(plan, store, signals, per_record, n_records, window_records, fmt)
        for block in blocks:
            for record in block:
                if _write_record(writer, record, fmt) != 0:
                    raise _record_refused(path)
        for onset_s, duration_s, text in notes:
            writer.writeAnnotation(onset_s, duration_s, _annotation_text(text))
    finally:
        writer.close()
    _rewrite_recording_field(path, recording_field(plan))
    return path


def _signals(plan: SessionPlan, store: SessionStore, fmt: DataFormat) -> list[EdfSignal]:
    """Each channel's signal: its stored values as they are, or float values quantised."""
    if fmt is not FLOAT_BDF_FORMAT:
        return [
            edf_signal(spec, plan.record.id, fmt.digital_range) for spec in plan.record.channels
        ]
    bottom, top = fmt.digital_range
    return [
        EdfSignal(
            bottom, top, low, high, (bottom + top) // 2 if spec.sensor_kind == "raw" else bottom
        )
        for spec, (low, high) in zip(
            plan.record.channels, bdf_float.physical_ranges(plan, store), strict=True
        )
    ]


def _write_record(writer: Any, record: np.ndarray, fmt: DataFormat) -> int:
    """Write one data record's digital samples (16-bit for EDF, 32-bit ints for BDF)."""
    if fmt is EDF_FORMAT:
        return int(writer.blockWriteDigitalShortSamples(record.ravel()))
    return int(writer.blockWriteDigitalSamples(np.ascontiguousarray(record.ravel(), np.int32)))


def _with_padding(
    plan: SessionPlan, notes: Sequence[tuple[float, float, str]], written_s: float
) -> list[tuple[float, float, str]]:
    """Annotations plus the simulated label at 0 s and the end padding, if any."""
    out = list(notes)
    if plan.simulated:
        out.insert(0, (0.0, -1.0, "SIMULATED session (not a person)"))
    end_s = plan.record.samples_per_channel / plan.rate_hz
    padding_s = written_s - end_s
    if padding_s > 0:
        out.append((end_s, padding_s, PADDING_ANNOTATION))
    return out


def _annotation_signals(n_notes: int, n_records: int, plan: SessionPlan) -> int:
    """Annotation signals needed: edflib stores one annotation per signal per record."""
    needed = max(1, math.ceil(n_notes / max(n_records, 1)))
    if needed > MAX_ANNOTATION_SIGNALS:
        raise InputError(
            f"Session {plan.record.id} has {n_notes} markers and gaps for {n_records} s of "
            f"data, more than EDF+ can hold ({MAX_ANNOTATION_SIGNALS} per second); export it "
            "with --format parquet instead."
        )
    return needed


def _annotation_text(text: str) -> str:
    """Annotation text as printable ASCII of at most 40 characters (edflib's limit)."""
    return re.sub(r"[^\x20-\x7e]", "_", text)[:MAX_ANNOTATION_CHARS]


def _record_blocks(
    plan: SessionPlan,
    store: SessionStore,
    signals: Sequence[EdfSignal],
    per_record: int,
    n_records: int,
    window_records: int,
    fmt: DataFormat = EDF_FORMAT,
) -> Iterator[np.ndarray]:
    """(records, channels, samples per record) digital blocks, gaps and end filled at rest."""
    fill = np.array([signal.resting for signal in signals], fmt.dtype)
    for first in range(0, n_records, window_records):
        count = min(window_records, n_records - first)
        start = first * per_record
        samples = store.read_samples(plan.record.id, start, start + count * per_record)
        block = np.empty((count * per_record, fill.size), np.int64)
        if fmt is FLOAT_BDF_FORMAT:
            ranges = [(signal.physical_min, signal.physical_max) for signal in signals]
            physical = bdf_float.physical_values(samples, plan.record.channels)
            digital = bdf_float.quantised(physical, ranges)
            block[: len(digital)] = np.where(samples.missing, fill, digital)
        else:
            block[: len(samples.values)] = samples.filled(fill)
        block[len(samples.values) :] = fill
        _check_range(block, signals, plan, start)
        digital_block = block.astype(fmt.dtype).reshape(count, per_record, fill.size)
        yield np.ascontiguousarray(digital_block.transpose(0, 2, 1))


def _check_range(
    block: np.ndarray, signals: Sequence[EdfSignal], plan: SessionPlan, start: int
) -> None:
    """Refuse values outside a channel's input range (they would be misread as other values)."""
    for index, (signal, spec) in enumerate(zip(signals, plan.record.channels, strict=True)):
        low, high = int(block[:, index].min()), int(block[:, index].max())
        if low < signal.digital_min or high > signal.digital_max:
            raise InputError(
                f"Session {plan.record.id} stores values {low}..{high} on channel {spec.label} "
                f"near sample {start}, outside the input range {signal.digital_min}.."
                f"{signal.digital_max} ({signal.physical_min:g}..{signal.physical_max:g} "
                f"{spec.unit}) its channel declares; export it with --format parquet (which "
                "keeps any value)."
            )


def _rewrite_recording_field(path: Path, field: str) -> None:
    """Replace the 80-byte recording field with the anonymised form (edflib writes a date)."""
    data = field.encode("ascii")[:80].ljust(80, b" ")
    with path.open("r+b") as handle:
        handle.seek(88)
        handle.write(data)


def header_and_annotations(path: Path) -> list[tuple[str, bytes]]:
    """The text parts of an EDF(+)/BDF(+) file: the header and each record's annotation bytes.

    Signal samples are binary numbers and carry no text; everything else is returned,
    labelled by where it sits, for the identifying-data scan.
    """
    with path.open("rb") as handle:
        fixed = handle.read(256)
        n_signals = _int_field(fixed[252:256], path)
        header = fixed + handle.read(256 * n_signals)
    layout = _signal_layout(header, n_signals, path)
    parts = [("EDF header", header)]
    n_records = _int_field(header[236:244], path)
    width = 3 if fixed[:8] == BDF_VERSION else 2
    record_bytes = sum(count for _, count in layout) * width
    if n_records <= 0 or record_bytes == 0:
        return parts
    records = np.memmap(path, np.uint8, "r", len(header), (n_records, record_bytes))
    offset = 0
    for label, count in layout:
        if label in ANNOTATION_LABELS:
            part = records[:, offset : offset + width * count].tobytes()
            parts.append(("EDF annotations", part))
        offset += width * count
    return parts


def _signal_layout(header: bytes, n_signals: int, path: Path) -> list[tuple[bytes, int]]:
    """(label, samples per record) of every signal, from the header."""
    labels_at = 256
    samples_at = 256 + n_signals * (16 + 80 + 8 * 5 + 80)
    return [
        (
            header[labels_at + 16 * i : labels_at + 16 * (i + 1)].strip(),
            _int_field(header[samples_at + 8 * i : samples_at + 8 * (i + 1)], path),
        )
        for i in range(n_signals)
    ]


def _int_field(raw: bytes, path: Path) -> int:
    """An integer header field; InputError when the file is not EDF."""
    try:
        return int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"{path} is not a readable EDF file (bad header field {raw!r}).") from None


def _record_refused(path: Path) -> Exception:
    """Why pyedflib wrote no record: a full disk (OSError ENOSPC), else a refused record."""
    if shutil.disk_usage(path.parent).free < DISK_NEARLY_FULL_BYTES:
        return OSError(errno.ENOSPC, "No space left on device", str(path))
    return InputError(f"pyedflib refused a data record while writing {path}.")
