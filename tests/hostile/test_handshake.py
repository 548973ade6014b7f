"""Hostile boards at the handshake: what PROTOCOL.md forbids is refused before a session exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.device.protocol import Identity, identity_payload, parse_identity
from microexp_tui.errors import ExitCode, ProtocolError
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.store.sessions import SessionStore
from tests.hostile.board import HostileBoard, board_identity, hostile_port
from tests.store import seed_channels

FORBIDDEN_DECLARATIONS = [
    pytest.param({"sample_rate_hz": 65535}, "65535 Hz", id="rate-65535"),
    pytest.param({"sample_rate_hz": 1}, "1 Hz", id="rate-1"),
    pytest.param({"adc_bits": 0}, "0 ADC bits", id="adc-bits-0"),
    pytest.param({"adc_bits": 16}, "16 ADC bits", id="adc-bits-16"),
    pytest.param({"adc_vref_mv": 0}, "0 mV", id="vref-0"),
    pytest.param({"sensor_kinds": (0, 0, 0, 9, 0, 0, 0, 0)}, "sensor kind 9", id="sensor-kind-9"),
]


@pytest.mark.parametrize(("changes", "named"), FORBIDDEN_DECLARATIONS)
def test_a_declaration_outside_the_protocol_is_refused_before_a_session_exists(
    tmp_path: Path, changes: dict[str, object], named: str
) -> None:
    db = tmp_path / "s.sqlite"
    board = HostileBoard(identity=board_identity(**changes))
    with hostile_port(board) as path, pytest.raises(ProtocolError) as err:
        run_recording(port=path, simulate=False, database=db, duration_s=1.0)
    message = str(err.value)
    assert named in message and "PROTOCOL.md" in message
    assert err.value.exit_code == ExitCode.PROTOCOL
    with SessionStore.open(db) as store:
        assert store.list_sessions() == []


def _identity_named(name: str) -> Identity:
    """An identity whose board name is `name`, as a board would send it."""
    return parse_identity(identity_payload(board_identity(board_name=name)))


def test_terminal_escapes_and_control_characters_are_stripped_from_the_board_name() -> None:
    identity = _identity_named("\x1b[2J\x1b]0;owned\x07Mega\r\n\x08 board\x00")
    assert identity.board_name == "Mega board"


def test_the_stored_board_name_carries_no_control_character(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    board = HostileBoard(identity=board_identity(board_name="\x1b[31mred\x1b[0m\tboard\x07"))
    with hostile_port(board) as path:
        summary = run_recording(port=path, simulate=False, database=db, duration_s=0.6)
    with SessionStore.open(db) as store:
        device = store.session(summary.session_id).device
    assert device["board"] == "red board"


def test_record_refuses_a_1_hz_board_with_exit_4_and_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with hostile_port(HostileBoard(identity=board_identity(sample_rate_hz=1))) as path:
        done = subprocess.run(
            [sys.executable, "-m", "microexp_tui", "record", "--port", path, "--db", str(db),
             "--duration-s", "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    assert done.returncode == ExitCode.PROTOCOL
    assert "1 Hz" in done.stderr and "250..2000" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_board_name_stored_before_names_were_cleaned_is_read_back_clean(tmp_path: Path) -> None:
    """A database written by an earlier version holds the raw name: reading cleans it, so no
    screen or export sees the escapes."""
    db = tmp_path / "s.sqlite"
    with SessionStore.open(db) as store:
        person = store.create_participant()
        session_id = store.start_session(
            person.id,
            sample_rate_hz=1000.0,
            channels=seed_channels(),
            device={"board": "\x1b]0;owned\x07Mega\x1b[2J board", "channels": 8},
            simulated=False,
        )
        store.finish_session(session_id, "completed")
        device = store.session(session_id).device
    assert device["board"] == "Mega board" and device["channels"] == 8
