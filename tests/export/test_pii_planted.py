"""Identifying values typed into every field a person can fill never reach an export.

Fields the export never copies (participant form, operator, notes, overrides, protocol file
name and path, free-text settings) are checked against every byte and every file name of a
BIDS, Parquet and CSV export by an independent search (case folded, separators removed,
phone numbers by their digits). Fields the export copies (marker labels, event conditions)
holding a planted value in another spelling make the export refuse, creating nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from microexp_tui.domain.markers import MARKER_OPERATOR_BASE
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.domain.sessions import SessionSetup, settings_json
from microexp_tui.export import IdentifyingDataError, export_sessions
from microexp_tui.export.pii import date_spellings
from microexp_tui.export.task_labels import task_labels
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import RATE_HZ, montage, protocol_markers, signal

FORMATS = ["bids", "parquet", "csv"]
CODE = "QX-ZEPHYRINE-77"
NAME = "Quintessa Marlowgrave"
PHONE = "+41 79 555 01 99"
PHONE_NATIONAL_DIGITS = "795550199"
EMAIL = "quintessa.marlowgrave@example.org"
OPERATOR = "Thaddeus Brimblecombe"
PROTOCOL_FILE = "/home/thaddeus/ThaddeusBrimblecombe.toml"
WORDS = ["Quintessa", "Marlowgrave", "Thaddeus", "Brimblecombe", "Zephyrine", "Oakhollow"]
"""Every distinctive word planted anywhere (none may appear, in any spelling)."""


def _build(path: Path, *, marker_label: str | None = None, condition: str | None = None) -> None:
    """One participant and two finished sessions, with a planted value in every typed field."""
    with SessionStore.open(path) as store:
        person = store.create_participant(
            CODE,
            1990,
            "female",
            "right",
            NAME,
            f"{PHONE}; {EMAIL}",
            "Lives at Oakhollow Farm; daughter Zephyrine comes along",
        )
        for seed in range(2):
            sid = store.start_session(
                person.id,
                sample_rate_hz=RATE_HZ,
                channels=montage(),
                device={"board": "Arduino Mega 2560", "adc_bits": 10, "adc_vref_mv": 5000},
                simulated=False,
                protocol=Path(PROTOCOL_FILE).stem,
                operator=OPERATOR,
                notes=f"Run by {OPERATOR}; {NAME} was tired",
            )
            markers = protocol_markers(8.0)
            if marker_label and seed == 0:
                code = MARKER_OPERATOR_BASE + 1
                markers.append(MarkerRecord(RATE_HZ, code, "host", marker_label))
            if condition and seed == 0:
                event = MarkerRecord(RATE_HZ, None, "lsl", None, None, "external", condition)
                markers.append(event)
            data = signal(8 * RATE_HZ, seed, ("envelope",) * 8)
            for first in range(0, len(data), RATE_HZ):
                chunk = data[first : first + RATE_HZ]
                here: list[MarkerRecord | tuple[Any, ...]] = [
                    m for m in markers if first <= m.sample_index < first + RATE_HZ
                ]
                store.write_batch(sid, Batch(chunks=[(first, chunk)], markers=here))
            store.save_setup(
                SessionSetup(
                    sid,
                    protocol_path=PROTOCOL_FILE,
                    montage_preset="Marlowgrave face",
                    settings=settings_json(
                        {"filters": {"mains_hz": 50.0}, "operator": OPERATOR, "site": NAME}
                    ),
                )
            )
            store.add_note(sid, f"{NAME} mentioned Zephyrine's wedding on 2026-03-05", OPERATOR)
            store.add_override(sid, "electrode", "EMG3", f"{NAME} refused more gel", OPERATOR)
            store.finish_session(sid, "completed", actor=OPERATOR)


def _export_text(root: Path) -> str:
    """Every file and folder name, every byte, every Parquet cell and decoded JSON string."""
    parts = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*"))]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        parts.append(path.read_bytes().decode("latin-1"))
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).astype(str).to_csv())
        if path.suffix == ".json":
            parts.append(json.dumps(json.loads(path.read_text()), ensure_ascii=False))
    return "\n".join(parts)


def _squashed(text: str) -> str:
    """Case-folded letters and digits only: every spelling of a word looks the same."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _phone_spellings(text: str) -> list[str]:
    """Digits of every phone-like run (spaces, dashes, brackets; not decimal numbers)."""
    runs = re.findall(r"(?<![\d.])\+?\d(?:[ \-/()]{0,3}\d){7,}(?!\d|\.\d)", text)
    return [re.sub(r"\D", "", run) for run in runs]


def _dates(path: Path) -> list[str]:
    """Every spelling of every real session date in the database."""
    with SessionStore.open(path) as store:
        days = {datetime.fromisoformat(r.started_at).date() for r in store.list_sessions()}
    days.add(datetime(2026, 3, 5).date())
    return [s.casefold() for d in days for s in date_spellings(d.year, d.month, d.day)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_planted_value_reaches_any_byte_or_file_name(fmt: str, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    _build(db)
    report = export_sessions(db, tmp_path / "out", None, fmt, tmp_path / "secret.key")
    text = _export_text(report.out_dir)
    squashed = _squashed(text)
    leaked = [w for w in [*WORDS, CODE, EMAIL] if _squashed(w) in squashed]
    assert leaked == []
    phones = [run for run in _phone_spellings(text) if run.endswith(PHONE_NATIONAL_DIGITS)]
    assert phones == []
    assert [d for d in _dates(db) if d in text.casefold()] == []
    assert {s["task"] for s in report.sessions} == {"protocol01"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("label", "condition", "kind"),
    [
        ("cue from BrimblecombeThaddeus", None, "operator name"),
        ("call 079 555 01 99", None, "contact"),
        ("ask quintessa_marlowgrave", None, "participant name"),
        (None, "Marlowgrave-Quintessa", "participant name"),
        ("seen 5 March 2026", None, "date"),
    ],
)
def test_a_planted_value_in_a_copied_field_in_any_spelling_stops_the_export(
    fmt: str, label: str | None, condition: str | None, kind: str, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite"
    _build(db, marker_label=label, condition=condition)
    out = tmp_path / "out"
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(db, out, None, fmt, tmp_path / "secret.key")
    assert kind in str(caught.value)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_a_protocol_named_after_a_shipped_one_keeps_its_label(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    _build(db)
    with SessionStore.open(db) as store:
        records = [replace(r, protocol="six_emotions") for r in store.list_sessions()]
    assert set(task_labels(records).values()) == {"sixemotions"}
