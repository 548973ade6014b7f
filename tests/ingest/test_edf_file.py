"""The numpy EDF/BDF reader against pyedflib on files pyedflib wrote, and damaged files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
import pytest

from microexp_tui.errors import InputError
from microexp_tui.ingest.edf_file import read_annotations, read_digital, read_header
from tests.ingest.helpers import Signal, emg_signals, write_file


@pytest.mark.parametrize("bdf", [False, True])
def test_samples_and_annotations_match_pyedflib(tmp_path: Path, bdf: bool) -> None:
    signals = emg_signals(3, 500, 4, seed=1, bdf=bdf)
    slow = Signal("Temp", 10, "degC", (20.0, 40.0), (0, 1000), np.arange(40) * 20)
    notes = [(0.5, 0.25, "stimulus onset: happy"), (2.004, -1, "trial two")]
    path = write_file(tmp_path / ("f.bdf" if bdf else "f.edf"), [*signals, slow], notes, bdf=bdf)
    header = read_header(path)
    assert header.variant == ("BDF+C" if bdf else "EDF+C")
    assert [header.rate_hz(s) for s in header.signals if not s.is_annotation] == [500] * 3 + [10]
    with pyedflib.EdfReader(str(path)) as reader:
        expected = np.stack([reader.readSignal(i, digital=True) for i in range(3)], axis=1)
        onsets, durations, texts = reader.readAnnotations()
    values = read_digital(header, [0, 1, 2])
    assert values.dtype == (np.int32 if bdf else np.int16)
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(read_digital(header, [3])[:, 0], slow.values)
    annotations, starts = read_annotations(header)
    assert [a.text for a in annotations] == list(texts)
    np.testing.assert_allclose([a.onset_s for a in annotations], onsets)
    np.testing.assert_allclose([a.duration_s or -1 for a in annotations], durations)
    assert starts is not None and np.allclose(starts, np.arange(header.n_records) * 1.0)


def test_the_patient_fields_are_not_part_of_the_header(tmp_path: Path) -> None:
    path = write_file(tmp_path / "f.edf", emg_signals(1, 100, 1))
    header = read_header(path)
    assert "Quillfeather" not in repr(header) and "PQ-1991" not in repr(header)


def test_a_shifted_header_is_refused_naming_the_file_and_the_shift(tmp_path: Path) -> None:
    good = write_file(tmp_path / "good.edf", emg_signals(2, 100, 2))
    data = good.read_bytes()
    shifted = tmp_path / "shifted.edf"
    shifted.write_bytes(data[:100] + data[101:])  # one byte lost inside the recording field
    with pytest.raises(InputError) as refused:
        read_header(shifted)
    assert str(shifted) in str(refused.value) and "shifted by -1 byte" in str(refused.value)


def test_a_file_cut_short_is_refused_with_the_bytes_it_declares_and_holds(tmp_path: Path) -> None:
    good = write_file(tmp_path / "good.edf", emg_signals(2, 100, 5))
    header = read_header(good)
    data = good.read_bytes()
    cut = tmp_path / "cut.edf"
    cut.write_bytes(data[: header.header_bytes + header.record_bytes + 10])
    with pytest.raises(InputError) as refused:
        read_header(cut)
    message = str(refused.value)
    assert str(cut) in message and f"declares {header.n_records} data records" in message
    assert f"holds only {header.record_bytes + 10} bytes" in message


def test_text_where_a_number_belongs_is_refused_naming_the_field(tmp_path: Path) -> None:
    good = write_file(tmp_path / "good.edf", emg_signals(1, 100, 1))
    data = bytearray(good.read_bytes())
    data[236:244] = b"many    "
    bad = tmp_path / "bad.edf"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="number of data records field is b'many"):
        read_header(bad)


def test_a_file_that_is_not_edf_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "notes.edf"
    other.write_text("hello, this is text\n" * 20)
    with pytest.raises(InputError, match="not an EDF or BDF version"):
        read_header(other)


def test_an_unusual_start_date_is_not_a_reason_to_refuse(tmp_path: Path) -> None:
    good = write_file(tmp_path / "good.edf", emg_signals(1, 100, 2))
    data = bytearray(good.read_bytes())
    data[168:176] = b"1-JAN-20"  # not dd.mm.yy; the date is never read anyway
    odd = tmp_path / "odd.edf"
    odd.write_bytes(bytes(data))
    assert read_header(odd).n_records == read_header(good).n_records
