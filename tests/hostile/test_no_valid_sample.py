"""Boards that send nothing usable after the handshake: status `empty`, exit 4, counters say why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.device.protocol import FrameType, encode_frame
from microexp_tui.errors import ExitCode
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.store.sessions import SessionStore
from tests.hostile.board import HostileBoard, good_frames, hostile_port


def _bad_checksums(first_index: int, n: int, rng: np.random.Generator) -> bytes:
    """Good SAMPLES frames whose CRC's last byte is flipped."""
    frames = bytearray(good_frames(first_index, n, rng))
    frame_bytes = len(frames) // n
    for end in range(frame_bytes, len(frames) + 1, frame_bytes):
        frames[end - 1] ^= 0xFF
    return bytes(frames)


def _malformed_payloads(first_index: int, n: int, rng: np.random.Generator) -> bytes:
    """Checksum-valid SAMPLES frames of 3 values for a board that declared 8 channels."""
    indices = range(first_index, first_index + n)
    return b"".join(encode_frame(FrameType.SAMPLES, index, bytes(6)) for index in indices)


def _garbage(first_index: int, n: int, rng: np.random.Generator) -> bytes:
    """Random bytes at the rate frames would come."""
    return rng.integers(0, 256, size=24 * n, dtype=np.uint8).tobytes()


BROKEN_STREAMS = [
    pytest.param(_bad_checksums, "crc_errors", id="only-bad-checksums"),
    pytest.param(_malformed_payloads, "malformed", id="only-malformed-payloads"),
    pytest.param(_garbage, "garbage_bytes", id="only-garbage"),
]


@pytest.mark.parametrize(("wire", "counter"), BROKEN_STREAMS)
def test_a_recording_without_one_valid_sample_ends_empty_with_the_reason(
    tmp_path: Path, wire: object, counter: str
) -> None:
    db = tmp_path / "s.sqlite"
    with hostile_port(HostileBoard(wire)) as path:  # type: ignore[arg-type]
        summary = run_recording(port=path, simulate=False, database=db, duration_s=1.0)
    assert summary.status == "empty"
    assert summary.samples_per_channel == 0 and summary.counters[counter] > 0
    assert summary.error is not None and "No valid sample" in summary.error
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
    assert record.status == "empty" and record.counters[counter] > 0


def test_record_exits_4_and_says_why_when_only_garbage_came(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with hostile_port(HostileBoard(_garbage)) as path:
        command = ["record", "--port", path, "--db", str(db), "--duration-s", "1", "--json"]
        done = subprocess.run(
            [sys.executable, "-m", "microexp_tui", *command],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == ExitCode.PROTOCOL, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "empty" and out["garbage_bytes"] > 0
    assert "bytes that were not frames" in out["error"]


def test_the_report_of_an_empty_session_says_it_is_empty(tmp_path: Path) -> None:
    from pypdf import PdfReader

    db = tmp_path / "s.sqlite"
    with hostile_port(HostileBoard(_garbage)) as path:
        summary = run_recording(port=path, simulate=False, database=db, duration_s=1.0)
    pdf = tmp_path / "empty.pdf"
    command = ["report", str(summary.session_id), "--db", str(db), "-o", str(pdf)]
    done = subprocess.run(
        [sys.executable, "-m", "microexp_tui", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "This session is EMPTY" in " ".join(text.split())
