"""EDF/EDF+/BDF/BDF+ files read with numpy: header, digital samples and EDF+ annotations.

Only what a recording needs is read: the patient and recording identification fields and
the start date and time are skipped, so nothing identifying can reach the store. Header
defects (a shifted header, fields that are not numbers, fewer data bytes than declared)
are refused with an InputError naming the file and the defect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microexp_tui.errors import InputError

FIXED_HEADER_BYTES = 256
SIGNAL_HEADER_BYTES = 256
EDF_VERSION = b"0       "
BDF_VERSION = b"\xffBIOSEMI"
ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
_DATE = re.compile(rb"\d\d[.:/-]\d\d[.:/-]\d\d")
_SIGNAL_FIELDS: tuple[tuple[str, int], ...] = (
    ("label", 16),
    ("transducer type", 80),
    ("physical dimension", 8),
    ("physical minimum", 8),
    ("physical maximum", 8),
    ("digital minimum", 8),
    ("digital maximum", 8),
    ("prefiltering", 80),
    ("samples per data record", 8),
    ("reserved", 32),
)
_TAL_TIME = re.compile(rb"([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?))?")


@dataclass(frozen=True)
class EdfSignal:
    """One signal of the header: label, physical unit and the digital-to-physical mapping."""

    label: str
    physical_dimension: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    samples_per_record: int

    @property
    def is_annotation(self) -> bool:
        """Whether this is an EDF+/BDF+ annotation signal rather than a measured one."""
        return self.label in ANNOTATION_LABELS


@dataclass(frozen=True)
class Annotation:
    """An EDF+ annotation: onset in seconds from the file's start, duration (None) and text."""

    onset_s: float
    duration_s: float | None
    text: str


@dataclass(frozen=True)
class EdfHeader:
    """The parts of an EDF/BDF header a recording needs (no identification fields)."""

    path: Path
    bytes_per_sample: int
    """2 for EDF (16-bit), 3 for BDF (24-bit)."""
    variant: str
    """`EDF`, `EDF+C`, `EDF+D`, `BDF`, `BDF+C` or `BDF+D`."""
    header_bytes: int
    n_records: int
    record_duration_s: float
    signals: tuple[EdfSignal, ...]

    @property
    def record_bytes(self) -> int:
        """Bytes of one data record (every signal's samples of one record)."""
        return sum(s.samples_per_record for s in self.signals) * self.bytes_per_sample

    def rate_hz(self, signal: EdfSignal) -> float:
        """Sample rate of a signal: its samples per record over the record's duration."""
        return signal.samples_per_record / self.record_duration_s


def read_header(path: Path) -> EdfHeader:
    """The header of an EDF or BDF file; InputError naming the file and the defect."""
    try:
        with path.open("rb") as handle:
            fixed = handle.read(FIXED_HEADER_BYTES)
            size_bytes = path.stat().st_size
            version = fixed[:8]
            if version not in (EDF_VERSION, BDF_VERSION):
                raise _damaged(
                    path, f"its first 8 bytes are {version!r}, not an EDF or BDF version"
                )
            _check_not_shifted(path, fixed)
            n_signals = _int(fixed, 252, 4, "number of signals", path)
            if not 1 <= n_signals <= 4096:
                raise _damaged(path, f"the header declares {n_signals} signals")
            signal_bytes = handle.read(SIGNAL_HEADER_BYTES * n_signals)
    except OSError as err:
        raise InputError(f"{path} cannot be read: {err.strerror or err}. Check the path.") from None
    header_bytes = _int(fixed, 184, 8, "number of bytes in header", path)
    expected_header = FIXED_HEADER_BYTES + SIGNAL_HEADER_BYTES * n_signals
    if header_bytes != expected_header or len(signal_bytes) < expected_header - 256:
        raise _damaged(
            path,
            f"the header declares {header_bytes} header bytes but its {n_signals} signals "
            f"need {expected_header} (file size {size_bytes} bytes)",
        )
    signals = _signals(signal_bytes, n_signals, path)
    is_bdf = version == BDF_VERSION
    reserved = fixed[192:236].decode("ascii", "replace").strip()
    prefix = "BDF" if is_bdf else "EDF"
    variant = (
        f"{prefix}+{reserved[-1]}"
        if reserved[:5] in ("EDF+C", "EDF+D", "BDF+C", "BDF+D")
        else prefix
    )
    duration_s = _float(fixed, 244, 8, "duration of a data record", path)
    if not duration_s > 0:
        raise _damaged(path, f"its data records last {duration_s} s; they must last longer than 0")
    header = EdfHeader(path, 3 if is_bdf else 2, variant, header_bytes, 0, duration_s, signals)
    declared = _int(fixed, 236, 8, "number of data records", path)
    available = (size_bytes - header_bytes) // max(header.record_bytes, 1)
    if declared == -1:  # a recording that was never closed: count what is there
        declared = available
    if declared < 0 or header.record_bytes == 0:
        raise _damaged(path, f"the header declares {declared} data records")
    if available < declared:
        raise _damaged(
            path,
            f"the header declares {declared} data records ({declared * header.record_bytes} "
            f"data bytes) but the file holds only {size_bytes - header_bytes} bytes of data: "
            "the file is cut short",
        )
    return EdfHeader(
        path, header.bytes_per_sample, variant, header_bytes, declared, duration_s, signals
    )


def _check_not_shifted(path: Path, fixed: bytes) -> None:
    """Refuse a header whose fields are shifted (the start date sits a few bytes off 168)."""
    if _DATE.fullmatch(fixed[168:176]):
        return
    for shift in (-3, -2, -1, 1, 2, 3):
        if _DATE.fullmatch(fixed[168 + shift : 176 + shift]):
            raise _damaged(
                path,
                f"its header is shifted by {shift:+d} byte(s) (the start date field sits at "
                f"byte {168 + shift} instead of 168), so every later field is misread"
                + _shifted_size_defect(path, shift),
            )
    # Any other start date is let through: it is never read, and the other fields decide.


def _shifted_size_defect(path: Path, shift: int) -> str:
    """What the data size looks like when the header is read at its shift ("" if unclear)."""
    try:
        data = path.read_bytes()
        at = max(shift, 0)
        if shift < 0:
            data = b" " * -shift + data
        fixed = data[at : at + FIXED_HEADER_BYTES]
        n_signals = int(fixed[252:256].decode("ascii").strip())
        n_records = int(fixed[236:244].decode("ascii").strip())
        counts_at = at + FIXED_HEADER_BYTES + n_signals * (16 + 80 + 8 * 5 + 80)
        counts = [int(data[counts_at + 8 * i : counts_at + 8 * (i + 1)]) for i in range(n_signals)]
    except (OSError, ValueError, UnicodeDecodeError):
        return ""
    width = 3 if data[at : at + 8] == BDF_VERSION else 2
    declared = n_records * sum(counts) * width
    held = len(data) - at - FIXED_HEADER_BYTES * (n_signals + 1)
    if declared <= held:
        return ""
    return (
        f"; read at that shift it declares {n_records} data records of {n_signals} signals "
        f"({declared} data bytes) but holds only {max(held, 0)}"
    )


def _signals(raw: bytes, n_signals: int, path: Path) -> tuple[EdfSignal, ...]:
    """Each signal's header fields (stored field by field for all signals in turn)."""
    fields: dict[str, list[bytes]] = {}
    at = 0
    for name, width in _SIGNAL_FIELDS:
        fields[name] = [raw[at + width * i : at + width * (i + 1)] for i in range(n_signals)]
        at += width * n_signals
    signals = []
    for i in range(n_signals):
        where = f"signal {i + 1}"

        def number(name: str, i: int = i, where: str = where) -> float:
            return _parse_float(fields[name][i], f"{name} of {where}", path)

        samples = int(number("samples per data record"))
        digital = (int(number("digital minimum")), int(number("digital maximum")))
        signals.append(
            EdfSignal(
                label=_text(fields["label"][i]),
                physical_dimension=_text(fields["physical dimension"][i]),
                physical_min=number("physical minimum"),
                physical_max=number("physical maximum"),
                digital_min=digital[0],
                digital_max=digital[1],
                samples_per_record=samples,
            )
        )
        if samples < 0:
            raise _damaged(path, f"{where} declares {samples} samples per data record")
    return tuple(signals)


def read_digital(
    header: EdfHeader, indices: list[int], first_record: int = 0, n_records: int | None = None
) -> np.ndarray:
    """(samples, len(indices)) digital values of signals sharing one rate, int16 or int32,
    from `n_records` data records (all by default) starting at `first_record`."""
    per_record = {header.signals[i].samples_per_record for i in indices}
    if len(per_record) != 1:
        raise InputError(f"{header.path}: the signals read together must share one sample rate.")
    count = per_record.pop()
    stop = header.n_records if n_records is None else first_record + n_records
    records = _records(header)[first_record:stop]
    offsets = _sample_offsets(header)
    dtype = np.int16 if header.bytes_per_sample == 2 else np.int32
    out = np.empty((len(records) * count, len(indices)), dtype)
    for column, index in enumerate(indices):
        start = offsets[index] * header.bytes_per_sample
        raw = records[:, start : start + count * header.bytes_per_sample]
        out[:, column] = _decode(raw, header.bytes_per_sample).reshape(-1)
    return out


def _records(header: EdfHeader) -> np.ndarray:
    """The data records as a (records, record bytes) uint8 array mapped from the file."""
    return np.memmap(
        header.path,
        np.uint8,
        "r",
        header.header_bytes,
        (header.n_records, header.record_bytes),
    )


def _sample_offsets(header: EdfHeader) -> list[int]:
    """Offset, in samples, of each signal inside a data record."""
    offsets, at = [], 0
    for signal in header.signals:
        offsets.append(at)
        at += signal.samples_per_record
    return offsets


def _decode(raw: np.ndarray, bytes_per_sample: int) -> np.ndarray:
    """Little-endian 16-bit (EDF) or 24-bit (BDF) two's-complement values."""
    if bytes_per_sample == 2:
        return np.ascontiguousarray(raw).view("<i2")
    triples = raw.reshape(raw.shape[0], -1, 3).astype(np.int32)
    value = triples[..., 0] | (triples[..., 1] << 8) | (triples[..., 2] << 16)
    return (value ^ 0x800000) - 0x800000


def read_annotations(header: EdfHeader) -> tuple[list[Annotation], np.ndarray | None]:
    """EDF+ annotations and each record's start (s from the file start), or ([], None)."""
    indices = [i for i, s in enumerate(header.signals) if s.is_annotation]
    if not indices or header.n_records == 0:
        return [], None
    records = _records(header)
    offsets = _sample_offsets(header)
    annotations: list[Annotation] = []
    starts = np.zeros(header.n_records)
    for position, index in enumerate(indices):
        start = offsets[index] * header.bytes_per_sample
        width = header.signals[index].samples_per_record * header.bytes_per_sample
        block = np.ascontiguousarray(records[:, start : start + width]).tobytes()
        for record in range(header.n_records):
            text = block[record * width : (record + 1) * width].rstrip(b"\x00")
            tals = [tal for tal in text.split(b"\x00") if tal.strip(b"\x14")]
            for number, tal in enumerate(tals):
                time, *texts = tal.split(b"\x14")
                match = _TAL_TIME.fullmatch(time)
                if match is None:
                    continue
                onset_s = float(match[1])
                if position == 0 and number == 0:
                    starts[record] = onset_s  # the record's time-keeping annotation
                annotations.extend(
                    Annotation(
                        onset_s,
                        float(match[2]) if match[2] else None,
                        text.decode("utf-8", "replace").strip(),
                    )
                    for text in texts
                    if text.strip()
                )
    return annotations, starts


def _damaged(path: Path, defect: str) -> InputError:
    """The refusal of a damaged file: which file, what is wrong, what to do."""
    return InputError(
        f"{path} is not a readable EDF/BDF file: {defect}. It was not imported; repair or "
        "re-export it with the recording software (EDFbrowser can check its header)."
    )


def _text(raw: bytes) -> str:
    """A header text field: ASCII, outer spaces removed."""
    return raw.decode("ascii", "replace").strip()


def _int(fixed: bytes, at: int, width: int, name: str, path: Path) -> int:
    """An integer field of the fixed header."""
    value = _parse_float(fixed[at : at + width], name, path)
    if value != int(value):
        raise _damaged(path, f"its {name} field is {fixed[at : at + width]!r}, not a whole number")
    return int(value)


def _float(fixed: bytes, at: int, width: int, name: str, path: Path) -> float:
    """A number field of the fixed header."""
    return _parse_float(fixed[at : at + width], name, path)


def _parse_float(raw: bytes, name: str, path: Path) -> float:
    """A header number; InputError naming the field when it is not one."""
    try:
        value = float(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise _damaged(path, f"its {name} field is {raw!r}, not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _damaged(path, f"its {name} field is {raw!r}, not a finite number")
    return value
