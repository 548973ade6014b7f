"""EDF+ files of stored sessions (pyedflib), anonymised as the EDF+ specification prescribes.

Samples are the stored ADC counts written unchanged as EDF digital values, with the
physical range set so every reader converts them exactly to volts at the ADC input:
digital 0..2**bits maps to 0..Vref mV (10 bits, 5000 mV: 4.8828125 mV per count, the
board's count = V * 1024 / 5). Samples lost in transit are filled with the sensor's
resting level (0 counts for envelope channels, mid-scale for raw ones) and annotated
`BAD_ACQ_SKIP`; the last 1 s data record is completed the same way and annotated
`BAD_END_PADDING`. MNE skips `BAD_` spans in epoching and filtering.

Header: patient field `sub-<label> X X X` (code, sex, birthdate, name: 'X' is the EDF+
value for unknown or anonymised subfields); recording field `Startdate X X X <equipment>`
(+ ` SIMULATED`); start date 01.01.85 00.00.00, the conventional anonymised date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.domain.recording import MISSING_COUNT
from microexp_tui.errors import InputError
from microexp_tui.export.plan import SessionPlan
from microexp_tui.store.sessions import SessionStore

PHYSICAL_UNIT = "mV"
DEFAULT_ADC_BITS = 10
DEFAULT_VREF_MV = 5000
ANONYMOUS_START = datetime(1985, 1, 1, 0, 0, 0)
RECORD_S = 1
WINDOW_RECORDS = 60
"""Records read from the store and written per step (60 s: bounded memory)."""
MAX_ANNOTATION_CHARS = 40
"""edflib truncates longer annotation texts."""
MAX_ANNOTATION_SIGNALS = 64
PADDING_ANNOTATION = "BAD_END_PADDING"
SIMULATED_FLAG = "SIMULATED"
EDF_ANNOTATIONS_LABEL = b"EDF Annotations"


@dataclass(frozen=True)
class AdcScale:
    """How stored counts map to millivolts at the ADC input."""

    bits: int
    vref_mv: float

    @property
    def digital_max(self) -> int:
        """Full-scale digital value (2**bits, one above the largest count)."""
        return 1 << self.bits

    @property
    def mv_per_count(self) -> float:
        """Millivolts per ADC count."""
        return self.vref_mv / self.digital_max

    def resting_count(self, sensor_kind: str) -> int:
        """Fill value for lost samples: 0 for envelopes, mid-scale for raw (bipolar) sensors."""
        return self.digital_max // 2 if sensor_kind == "raw" else 0


def adc_scale(device: Any) -> AdcScale:
    """The ADC resolution and reference of a session's device (board defaults if absent)."""
    bits = device.get("adc_bits") if hasattr(device, "get") else None
    vref = device.get("adc_vref_mv") if hasattr(device, "get") else None
    bits = int(bits) if isinstance(bits, int) and 1 <= bits <= 15 else DEFAULT_ADC_BITS
    vref = float(vref) if isinstance(vref, int | float) and vref > 0 else DEFAULT_VREF_MV
    return AdcScale(bits, vref)


def equipment_name(plan: SessionPlan) -> str:
    """The board's name as one EDF+ subfield (ASCII, spaces as '_'), or X."""
    board = plan.record.device.get("board") if hasattr(plan.record.device, "get") else None
    text = re.sub(r"[^\x21-\x7e]+", "_", str(board or "").strip())[:30]
    return text or "X"


def recording_field(plan: SessionPlan) -> str:
    """The anonymised EDF+ 'local recording identification' field."""
    flag = f" {SIMULATED_FLAG}" if plan.simulated else ""
    return f"Startdate X X X {equipment_name(plan)}{flag}"


def signal_headers(plan: SessionPlan, scale: AdcScale) -> list[dict[str, Any]]:
    """pyedflib signal headers: exact physical range, sensor kind as transducer."""
    return [
        {
            "label": name,
            "dimension": PHYSICAL_UNIT,
            "sample_frequency": plan.rate_hz,
            "physical_min": 0.0,
            "physical_max": float(scale.vref_mv),
            "digital_min": 0,
            "digital_max": scale.digital_max,
            "transducer": f"EMG {spec.sensor_kind} sensor"[:80],
            "prefilter": "none (stored ADC samples)",
        }
        for name, spec in zip(plan.channel_names, plan.record.channels, strict=True)
    ]


def write_session_edf(
    path: Path, plan: SessionPlan, store: SessionStore, notes: Sequence[tuple[float, float, str]]
) -> None:
    """Write one session as an EDF+C file at `path` with `notes` as annotations."""
    import pyedflib

    scale = adc_scale(plan.record.device)
    total = plan.record.samples_per_channel
    n_records = math.ceil(total / (plan.rate_hz * RECORD_S))
    notes = _with_padding(plan, notes, n_records)
    writer = pyedflib.EdfWriter(str(path), len(plan.channel_names), pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders(signal_headers(plan, scale))
        writer.setPatientCode(f"sub-{plan.subject.label}")
        writer.setEquipment(equipment_name(plan))
        writer.setStartdatetime(ANONYMOUS_START)
        writer.set_number_of_annotation_signals(_annotation_signals(len(notes), n_records, plan))
        for block in _record_blocks(plan, store, scale, n_records):
            for record in block:
                if writer.blockWriteDigitalShortSamples(record.ravel()) != 0:
                    raise InputError(f"pyedflib refused a data record while writing {path}.")
        for onset_s, duration_s, text in notes:
            writer.writeAnnotation(onset_s, duration_s, _annotation_text(text))
    finally:
        writer.close()
    _rewrite_recording_field(path, recording_field(plan))


def _with_padding(
    plan: SessionPlan, notes: Sequence[tuple[float, float, str]], n_records: int
) -> list[tuple[float, float, str]]:
    """Annotations plus the simulated label at 0 s and the end padding, if any."""
    out = list(notes)
    if plan.simulated:
        out.insert(0, (0.0, -1.0, "SIMULATED session (not a person)"))
    end_s = plan.record.samples_per_channel / plan.rate_hz
    padding_s = n_records * RECORD_S - end_s
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
    plan: SessionPlan, store: SessionStore, scale: AdcScale, n_records: int
) -> Iterator[np.ndarray]:
    """(records, channels, samples per record) int16 blocks, gaps and end filled."""
    per_record = plan.rate_hz * RECORD_S
    fill = np.array([scale.resting_count(s.sensor_kind) for s in plan.record.channels], np.int16)
    for first in range(0, n_records, WINDOW_RECORDS):
        count = min(WINDOW_RECORDS, n_records - first)
        start = first * per_record
        counts = store.read_samples(plan.record.id, start, start + count * per_record)
        block = np.empty((count * per_record, fill.size), np.int16)
        block[: len(counts)] = counts
        block[len(counts) :] = fill
        missing = block == MISSING_COUNT
        if missing.any():
            block = np.where(missing, fill, block)
        _check_range(block, scale, plan, start)
        yield np.ascontiguousarray(block.reshape(count, per_record, fill.size).transpose(0, 2, 1))


def _check_range(block: np.ndarray, scale: AdcScale, plan: SessionPlan, start: int) -> None:
    """Refuse counts outside the ADC's range (they would be misread as other voltages)."""
    low, high = int(block.min()), int(block.max())
    if low < 0 or high >= scale.digital_max:
        raise InputError(
            f"Session {plan.record.id} stores counts {low}..{high} near sample {start}, outside "
            f"the {scale.bits}-bit ADC range 0..{scale.digital_max - 1} its device declares; "
            "export it with --format parquet (which keeps any count)."
        )


def _rewrite_recording_field(path: Path, field: str) -> None:
    """Replace the 80-byte recording field with the anonymised form (edflib writes a date)."""
    data = field.encode("ascii")[:80].ljust(80, b" ")
    with path.open("r+b") as handle:
        handle.seek(88)
        handle.write(data)


def header_and_annotations(path: Path) -> list[tuple[str, bytes]]:
    """The text parts of an EDF(+) file: the whole header and each record's annotation bytes.

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
    record_bytes = sum(count for _, count in layout) * 2
    if n_records <= 0 or record_bytes == 0:
        return parts
    records = np.memmap(path, np.uint8, "r", len(header), (n_records, record_bytes))
    offset = 0
    for label, count in layout:
        if label == EDF_ANNOTATIONS_LABEL:
            parts.append(("EDF annotations", records[:, offset : offset + 2 * count].tobytes()))
        offset += 2 * count
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
