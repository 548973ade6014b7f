"""Per-channel unit, scale, offset and input range: stored, read back, derived for old sessions."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pytest

from microexp_tui.domain.channels import ChannelSpec, board_channel
from microexp_tui.errors import InputError
from microexp_tui.store.sessions import SessionStore
from tests.store import database_at_version, seed_channels, start_recording

UNITS_VERSION = 8
"""The migration that gave channels their unit, scale, offset and input range."""


def test_board_channels_read_back_in_millivolts_of_the_adc(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        spec = store.session(session_id).channels[0]
    assert (spec.unit, spec.scale, spec.offset) == ("mV", 5000 / 1024, 0.0)
    assert (spec.physical_min, spec.physical_max) == (0.0, 5000.0)
    assert spec.to_physical(1024) == pytest.approx(5000.0)
    assert spec.to_stored(5000.0) == pytest.approx(1024.0)


def test_a_board_reporting_another_adc_gets_its_scale() -> None:
    spec = board_channel(0, "EMG1", None, "raw", adc_bits=12, adc_vref_mv=3300)
    assert (spec.scale, spec.physical_max) == (3300 / 4096, 3300.0)
    assert board_channel(0, "EMG1", None, "raw", adc_bits=0, adc_vref_mv=0) == board_channel(
        0, "EMG1", None, "raw"
    )


def test_imported_channels_keep_their_own_units(tmp_path: Path) -> None:
    channels = [
        ChannelSpec(0, "Fp1", None, "raw", (), "uV", 0.0625, -12.5, -3200.0, 3200.0),
        ChannelSpec(
            1, "zyg_rms", "Zygomaticus major", "envelope", ("AU12",), "count", 1.0, 0.0, None, None
        ),
    ]
    with SessionStore.open(tmp_path / "s.db") as store:
        participant = store.create_participant()
        session_id = store.start_session(
            participant.id,
            sample_rate_hz=512.0,
            channels=channels,
            device={"source_file": "lab.edf"},
            simulated=False,
            source="import",
            sample_format="float32",
        )
        assert list(store.session(session_id).channels) == channels


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"scale": 0.0}, "non-zero scale"),
        ({"scale": math.nan}, "non-zero scale"),
        ({"offset": math.inf}, "finite offset"),
        ({"unit": " "}, "needs a unit"),
        ({"physical_min": 10.0, "physical_max": 10.0}, "minimum below the maximum"),
        ({"physical_min": None}, "either no range"),
    ],
)
def test_an_unusable_physical_scale_is_refused(
    tmp_path: Path, change: dict[str, object], why: str
) -> None:
    spec = ChannelSpec(0, "EMG1", None, "envelope", **change)  # type: ignore[arg-type]
    with SessionStore.open(tmp_path / "s.db") as store:
        participant = store.create_participant()
        with pytest.raises(InputError, match=why):
            store.start_session(
                participant.id, sample_rate_hz=1000, channels=[spec], device={}, simulated=False
            )
        assert store.list_sessions() == []


def test_older_sessions_get_the_scale_of_the_adc_their_device_named(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    default_id = database_at_version(path, UNITS_VERSION - 1)
    conn = sqlite3.connect(path)
    device = json.dumps({"adc_bits": 12, "adc_vref_mv": 3300})
    conn.execute(
        "INSERT INTO sessions (uuid, participant_id, status, started_at, sample_rate_hz, "
        "channel_count, device, simulated) VALUES ('u-2', 1, 'completed', 'x', 500, 1, ?, 0)",
        [device],
    )
    conn.execute(
        "INSERT INTO channels (session_id, channel_index, label, sensor_kind) "
        "VALUES (2, 0, 'EMG1', 'raw')"
    )
    conn.commit()
    conn.close()
    with SessionStore.open(path) as store:
        defaults = store.session(default_id).channels
        twelve_bit = store.session(2).channels[0]
    assert list(defaults) == seed_channels()  # board defaults: 10 bits, 5000 mV
    assert twelve_bit == board_channel(0, "EMG1", None, "raw", adc_bits=12, adc_vref_mv=3300)
