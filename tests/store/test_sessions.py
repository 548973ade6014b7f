"""Participants, identity separation, session lifecycle, events, counters and summaries."""

from __future__ import annotations

import enum
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microexp_tui.domain.recording import ArtifactRecord, Batch, MarkerRecord
from microexp_tui.domain.sessions import QUALITY_COUNTERS
from microexp_tui.errors import InputError, StoreError
from microexp_tui.store.sessions import SessionStore
from tests.store import counts, one_second, seed_channels, start_recording


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    """A fresh store in a temporary folder."""
    return SessionStore.open(tmp_path / "s.db")


def test_generated_codes_are_pseudonymous_and_unique(store: SessionStore) -> None:
    codes = {store.create_participant().code for _ in range(100)}
    assert len(codes) == 100
    assert all(re.fullmatch(r"P-[2-9A-HJKMNP-TV-Z]{6}", code) for code in codes)


def test_chosen_codes_are_checked(store: SessionStore) -> None:
    made = store.create_participant("S-001", birth_year=1990, sex="Female", handedness="left")
    assert (made.code, made.birth_year, made.sex, made.handedness) == (
        "S-001",
        1990,
        "female",
        "left",
    )
    assert store.participant_by_code("s-001") == made
    assert store.participant_by_code("nobody") is None
    with pytest.raises(InputError, match="'s-001' already exists"):
        store.create_participant("s-001")
    with pytest.raises(InputError, match="invalid"):
        store.create_participant("has space")
    with pytest.raises(InputError, match="Handedness 'both' is invalid"):
        store.create_participant(handedness="both")
    with pytest.raises(InputError, match="Birth year 1800"):
        store.create_participant(birth_year=1800)


def test_identifying_fields_stay_in_their_own_table(store: SessionStore) -> None:
    person = store.create_participant(
        name="Zelda Quixote", contact="zq@example.org", notes="Quixote's allergy"
    )
    session_id = store.start_session(
        person.id,
        sample_rate_hz=1000,
        channels=seed_channels(),
        device={"board": "mega2560"},
        simulated=True,
    )
    store.write_batch(session_id, one_second(0))
    store.finish_session(session_id, "completed")

    identity = store.participant_identity(person.id)
    assert identity is not None and identity.name == "Zelda Quixote"
    tables = [t for t in store.db.table_names() if t != "participant_identity"]
    for table in tables:
        for row in store.db.execute(f"SELECT * FROM {table}"):
            assert "Quixote" not in repr(row) and "zq@" not in repr(row), table
    exposed = repr((store.list_sessions(), store.list_participants(), store.audit_entries()))
    assert "Quixote" not in exposed and "zq@" not in exposed

    assert store.erase_participant_identity(person.id) is True
    assert store.participant_identity(person.id) is None
    assert store.participant(person.id) == person


def test_session_record_carries_montage_device_and_simulated_flag(store: SessionStore) -> None:
    session_id = start_recording(store, channels=4, sample_rate_hz=500)
    record = store.session(session_id)
    assert record.status == "recording" and record.ended_at is None
    assert record.simulated is True and record.device["simulated"] is True
    assert record.device["board"] == "mega2560" and record.device["legacy"] is False
    assert (record.sample_rate_hz, record.channel_count) == (500, 4)
    assert record.channels == tuple(seed_channels(4))
    assert record.channels[1].action_units == ("AU1", "AU2")
    assert record.started_at.endswith("+00:00") and len(record.uuid) == 36
    assert record.counters == dict.fromkeys(QUALITY_COUNTERS, 0)
    store.finish_session(session_id, "completed")


def test_start_session_checks_its_inputs(store: SessionStore) -> None:
    person = store.create_participant()
    good = {"sample_rate_hz": 1000, "channels": seed_channels(), "device": {}, "simulated": False}
    with pytest.raises(StoreError, match="Participant 999 does not exist"):
        store.start_session(999, **good)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="simulated"):
        store.start_session(person.id, **{**good, "device": {"simulated": True}})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="indices"):
        store.start_session(person.id, **{**good, "channels": seed_channels()[1:]})  # type: ignore[arg-type]
    assert store.list_sessions() == []


class Source(enum.IntEnum):
    """Stands in for a device-layer marker source enum."""

    HOST = 0
    TRIGGER = 1


def test_batches_store_events_and_overwrite_counters(store: SessionStore) -> None:
    session_id = start_recording(store)
    numpy_index: Any = np.int64(900)
    store.write_batch(
        session_id,
        Batch(
            chunks=[(0, counts(0, 1000))],
            markers=[
                MarkerRecord(10, 0x0101, "host", "onset", 1.5),
                (numpy_index, 0x0400, Source.TRIGGER),
                (950, 0x1001, 0, "operator marker 1", 2.0),
            ],
            artifacts=[(3, "clipping", 100, 200)],
            counters={"frames": 50, "crc_errors": 2, "discarded_runs": 4},
        ),
    )
    numpy_count: Any = np.int64(7)
    store.write_batch(
        session_id, Batch(counters={"frames": 100, "garbage_bytes": numpy_count, "markers": 3})
    )
    assert store.markers(session_id) == [  # kinds and conditions derived from the codes
        MarkerRecord(10, 0x0101, "host", "onset", 1.5, "stimulus", "happy"),
        MarkerRecord(900, 0x0400, "trigger", None, None, "trigger", None),
        MarkerRecord(950, 0x1001, "0", "operator marker 1", 2.0, "marker", None),
    ]
    assert store.artifacts(session_id) == [ArtifactRecord(3, "clipping", 100, 200)]
    counters = store.session(session_id).counters
    assert {name: counters[name] for name in ("frames", "crc_errors", "garbage_bytes")} == {
        "frames": 100,
        "crc_errors": 2,
        "garbage_bytes": 7,
    }
    assert (counters["discarded_runs"], counters["markers"]) == (4, 3)  # kept beyond the columns
    with pytest.raises(InputError, match="counter name 'Bad Name' is invalid"):
        store.write_batch(session_id, Batch(counters={"Bad Name": 1}))
    with pytest.raises(InputError, match="must be >= 0"):
        store.write_batch(session_id, Batch(counters={"frames": -1}))
    with pytest.raises(InputError, match="Artifact"):
        store.write_batch(session_id, Batch(artifacts=[(8, "flat", 0, 10)]))
    with pytest.raises(InputError, match="Marker"):
        store.write_batch(session_id, Batch(markers=[(5, 0x1_0000, "host")]))


def test_finish_session_is_final(store: SessionStore) -> None:
    session_id = start_recording(store)
    with pytest.raises(InputError, match="'done' is invalid"):
        store.finish_session(session_id, "done")
    store.finish_session(session_id, "aborted")
    record = store.session(session_id)
    assert record.status == "aborted" and record.ended_at is not None
    with pytest.raises(StoreError, match="already 'aborted'"):
        store.finish_session(session_id, "completed")
    with pytest.raises(StoreError, match="not recording"):
        store.write_batch(session_id, one_second(0))


def test_list_sessions_summarises_each_session(store: SessionStore) -> None:
    first = start_recording(store, simulated=True)
    store.write_batch(first, Batch(chunks=[(0, counts(0, 2500))], counters={"lost_samples": 3}))
    store.finish_session(first, "completed")
    second = start_recording(store, simulated=False)
    summaries = {record.id: record for record in store.list_sessions()}
    assert list(summaries) == [first, second]
    done, live = summaries[first], summaries[second]
    assert (done.status, done.simulated, done.duration_s) == ("completed", True, 2.5)
    assert done.counters["lost_samples"] == 3
    assert done.participant_code.startswith("P-")
    assert (live.status, live.simulated, live.duration_s) == ("recording", False, 0.0)
    store.finish_session(second, "completed")


def test_writer_thread_with_its_own_store_while_ui_reads(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    ui = SessionStore.open(path)
    session_id = start_recording(ui)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with SessionStore.open(path) as own:
                for second in range(20):
                    own.write_batch(session_id, one_second(second * 1000))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        ui.list_sessions()
        ui.read_samples(session_id, 0, 10)
    thread.join()
    assert errors == []
    np.testing.assert_array_equal(ui.read_samples(session_id).values, counts(0, 20_000))
    ui.finish_session(session_id, "completed")
    ui.close()
