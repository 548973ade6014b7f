"""Identifying data never leaves: planted values are absent, leaks are refused, the scanner sees
inside EDF headers, annotations, escaped JSON and compressed Parquet."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyedflib
import pytest

from microexp_tui.domain.recording import MarkerRecord
from microexp_tui.export import ExportReport, IdentifyingDataError, export_sessions
from microexp_tui.export.kanon import k_anonymity
from microexp_tui.export.pii import Sensitive, date_spellings, needles
from microexp_tui.export.scan import scan_tree
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import OPERATOR, PEOPLE, BuiltDb, build_db


def _planted(built: BuiltDb, secret_file: Path) -> list[str]:
    """Every identifying value planted in the test database, as plain strings."""
    values = [OPERATOR, "Vasquez-Lund", "Ophelia", "Gel ran out", "/dev/ttyACM0"]
    values.append(secret_file.read_text().strip())
    for person in PEOPLE:
        values += [person.code, person.name, person.name.split()[-1], person.notes]
        values += [part.strip() for part in person.contact.split(",")]
    with SessionStore.open(built.path) as store:
        for record in store.list_sessions():
            values.append(record.uuid)
            day = datetime.fromisoformat(record.started_at)
            values += date_spellings(day.year, day.month, day.day)
    return values


def _all_text(root: Path) -> str:
    """Every byte of every file as text, plus every cell of every Parquet table."""
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        parts.append(path.read_bytes().decode("latin-1"))
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).astype(str).to_csv())
            parts.append(str(pq.read_schema(path).metadata))
        if path.suffix == ".json":
            parts.append(json.dumps(json.loads(path.read_text()), ensure_ascii=False))
    return "\n".join(parts).casefold()


@pytest.mark.parametrize("fixture", ["bids_export", "parquet_export", "csv_export"])
def test_no_planted_identifying_value_appears_anywhere(
    fixture: str, built: BuiltDb, secret_file: Path, request: pytest.FixtureRequest
) -> None:
    report: ExportReport = request.getfixturevalue(fixture)
    text = _all_text(report.out_dir)
    leaked = [value for value in _planted(built, secret_file) if value.casefold() in text]
    assert leaked == []
    assert "zoe" not in text and "bartholomew" not in text


def test_a_name_typed_into_a_marker_label_stops_the_export(tmp_path: Path) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=4.0, marker_label="QUILLFEATHER laughed")
    out = tmp_path / "out"
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(built.path, out, None, "bids", tmp_path / "secret.key")
    message = str(caught.value)
    assert "participant name from participant_identity.name (participant 1)" in message
    assert "_events.tsv (line" in message
    assert "Quillfeather" not in message, "the message masks the value"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "db.sqlite",
        "db.sqlite.locks",
        "secret.key",
    ]


@pytest.mark.parametrize(
    ("fmt", "where"),
    [("bids", "_events.tsv (line"), ("parquet", "events.parquet (Parquet column 'trial_type')")],
)
@pytest.mark.parametrize(
    "event",
    [
        MarkerRecord(60, None, "lsl", None, None, "external", "QUILLFEATHER group"),
        MarkerRecord(60, None, "lsl", "Quillfeather's cue", None, "external", "neutral"),
        MarkerRecord(60, 42, "lab-b", None, None, "trigger", "QUILLFEATHER group"),
    ],
)
def test_a_name_in_an_external_event_label_or_condition_stops_the_export(
    tmp_path: Path, fmt: str, where: str, event: MarkerRecord
) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=3.0, extra_events=[event])
    out = tmp_path / "out"
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(built.path, out, None, fmt, tmp_path / "secret.key")
    message = str(caught.value)
    assert "participant name from participant_identity.name (participant 1)" in message
    if event.label is None:
        assert where in message
    assert "Quillfeather" not in message, "the message masks the value"
    assert not out.exists()


def test_an_operator_name_in_a_parquet_label_stops_the_export(tmp_path: Path) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=3.0, marker_label=f"ask {OPERATOR}")
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(built.path, tmp_path / "out", None, "parquet", tmp_path / "secret.key")
    assert "operator name from sessions.operator" in str(caught.value)
    assert "events.parquet (Parquet column 'label')" in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("mail zoe.quillfeather@example.org", "contact from participant_identity.contact"),
        ("Participant mentioned her daughter Ophelia's wedding", "free text from session_notes"),
        (f"redo on {datetime.now().date().isoformat()}", "date from "),
    ],
)
def test_other_planted_values_typed_into_a_label_stop_the_export(
    label: str, kind: str, tmp_path: Path
) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=2.0, marker_label=label)
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(built.path, tmp_path / "out", None, "csv", tmp_path / "secret.key")
    assert kind in str(caught.value) and "events.csv" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_name_given_to_a_channel_is_found_in_the_edf_header(tmp_path: Path) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=2.0)
    sid = built.session_ids[2]
    with SessionStore.open(built.path) as store:
        channels = list(store.session(sid).channels)
        channels[0] = replace(channels[0], label="Ironwood")
        store.set_montage(sid, channels)
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(built.path, tmp_path / "out", [sid], "bids", tmp_path / "secret.key")
    message = str(caught.value)
    assert "_emg.edf (EDF header)" in message and "_channels.tsv (line 2)" in message


def test_short_generic_notes_do_not_block_exports(tmp_path: Path) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=2.0)
    with SessionStore.open(built.path) as store:
        store.add_note(built.session_ids[0], "stimulus offset", "system")
    export_sessions(built.path, tmp_path / "out", None, "bids", tmp_path / "secret.key")
    assert (tmp_path / "out" / "MANIFEST.sha256").is_file()


NAME = Sensitive(
    "participant name", "participant_identity.name (participant 1)", "Zoë Quillfeather"
)
DAY = [Sensitive("date", "sessions.started_at (session 1)", s) for s in date_spellings(2026, 3, 5)]


def _found(root: Path, items: list[Sensitive]) -> list[tuple[str, str]]:
    """(file, where) of every finding under root."""
    return [(f.file, f.where) for f in scan_tree(root, needles(items))]


def _edf(path: Path, patient_name: str = "", annotation: str = "") -> None:
    """A tiny EDF+ file with a chosen patient name and annotation."""
    with pyedflib.EdfWriter(str(path), 1, pyedflib.FILETYPE_EDFPLUS) as writer:
        writer.setSignalHeaders(
            [
                {
                    "label": "EMG1",
                    "dimension": "mV",
                    "sample_frequency": 10,
                    "physical_min": 0.0,
                    "physical_max": 5000.0,
                    "digital_min": 0,
                    "digital_max": 1024,
                }
            ]
        )
        if patient_name:
            writer.setPatientName(patient_name)
        writer.blockWriteDigitalShortSamples(np.zeros(10, np.int16))
        if annotation:
            writer.writeAnnotation(0.5, -1, annotation)


def test_scanner_reads_edf_headers_and_annotations(tmp_path: Path) -> None:
    _edf(tmp_path / "a.edf", patient_name="Zoe_Quillfeather")
    _edf(tmp_path / "b.edf", annotation="seen on 05-MAR-2026")
    _edf(tmp_path / "c.edf", annotation="Annotations only")
    found = _found(tmp_path, [NAME, *DAY])
    assert ("a.edf", "EDF header") in found, "accent-free, '_' for space, as EDF+ writes it"
    assert ("b.edf", "EDF annotations") in found
    assert not [f for f in found if f[0] == "c.edf"]


def test_scanner_decodes_escaped_json_and_compressed_parquet(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"who": "Zoë Quillfeather"}), encoding="utf-8")
    assert "\\u00eb" in (tmp_path / "a.json").read_text()
    table = pa.table({"label": pa.array(["x", "zoë quillfeather"]).dictionary_encode()})
    pq.write_table(table, tmp_path / "b.parquet", compression="zstd")
    meta = pa.table({"v": [1]}).replace_schema_metadata({"note": "made 2026/03/05"})
    pq.write_table(meta, tmp_path / "c.parquet")
    found = _found(tmp_path, [NAME, *DAY])
    assert ("a.json", "decoded JSON strings") in found
    assert ("b.parquet", "Parquet column 'label'") in found
    assert ("c.parquet", "Parquet schema and metadata") in found


def test_scanner_reports_text_lines_and_matches_whole_words_only(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("a\tb\n1\t2\n3\tZOË_QUILLFEATHER\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("x\tMrsZoë Quillfeathers\t105.03.26\n", encoding="utf-8")
    (tmp_path / "c.tsv").write_text("date\n05.03.26\n", encoding="utf-8")
    found = _found(tmp_path, [NAME, *DAY])
    assert found == [("a.tsv", "line 3"), ("c.tsv", "line 2")]


def test_scanner_parses_csv_columns_including_phone_numbers(tmp_path: Path) -> None:
    phone = Sensitive("contact", "participant_identity.contact (participant 1)", "447700900123")
    (tmp_path / "a.csv").write_text("n,who\n1,x\n2,Zoë Quillfeather\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("n,v\n1,0.5\n447700900123,0.25\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text('n\n1\n"unterminated\n', encoding="utf-8")
    (tmp_path / "d.csv").write_text("n\n447700900\n", encoding="utf-8")
    found = _found(tmp_path, [NAME, phone])
    assert ("a.csv", "CSV column 'who'") in found
    assert ("b.csv", "CSV column 'n'") in found
    assert [f for f in found if f[0] == "d.csv"] == []


def test_k_anonymity_warns_for_small_groups(bids_export: ExportReport) -> None:
    assert bids_export.kanon.k == 5
    assert len(bids_export.kanon.small_groups) == 2
    assert sum("k-anonymity" in w for w in bids_export.warnings) == 2
    report = k_anonymity([("20-24", "female", "right")] * 3 + [("25-29", "male", "left")], k=3)
    assert report.small_groups == {("25-29", "male", "left"): 1}
    assert k_anonymity([("20-24", "female", "right")] * 3, k=3).satisfied
