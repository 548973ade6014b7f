"""Valid frames carrying values the board's ADC cannot produce: counted, stored as missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp_tui.device.protocol import crc16_ccitt_false, encode_samples_block
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.store.sessions import SessionStore
from tests.hostile.board import HostileBoard, good_counts, hostile_port

BAD_VALUES = {200: (1, 40000), 300: (2, 65535), 400: (7, 1024), 500: (0, 32768)}
"""Sample index -> (channel, value): above a 10-bit ADC's 1023, some above int16 too."""


def _impossible_values(first_index: int, n: int, rng: np.random.Generator) -> bytes:
    """Good frames, except a few values the declared 10-bit ADC cannot produce."""
    counts = good_counts(first_index, n, 8)
    for index, (channel, value) in BAD_VALUES.items():
        if first_index <= index < first_index + n:
            counts[index - first_index, channel] = value
    return encode_samples_block(first_index, counts)


def test_values_above_the_declared_adc_range_are_counted_and_stored_as_missing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.sqlite"
    with hostile_port(HostileBoard(_impossible_values)) as path:
        summary = run_recording(port=path, simulate=False, database=db, duration_s=1.5)
    assert summary.status == "completed" and summary.error is None
    assert summary.counters["out_of_range"] == len(BAD_VALUES)
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
        stored = store.read_samples(summary.session_id)
    assert record.counters["out_of_range"] == len(BAD_VALUES)
    assert record.samples_per_channel > 1000  # the recording went on past every bad value
    first = stored.first_index
    for index, (channel, _) in BAD_VALUES.items():
        assert stored.missing[index - first, channel]
        assert not stored.missing[index - first, (channel + 1) % 8]
    present = np.asarray(~stored.missing, dtype=bool)
    expected = good_counts(first, stored.values.shape[0], 8)
    np.testing.assert_array_equal(stored.values[present], expected[present])


def _random_sequence_numbers(first_index: int, n: int, rng: np.random.Generator) -> bytes:
    """Good values, checksum-valid frames, but every sequence number random."""
    frames = bytearray(encode_samples_block(first_index, good_counts(first_index, n, 8)))
    for row, seq in enumerate(rng.integers(0, 65536, size=n).tolist()):
        frame = row * 24
        body = bytes(frames[frame + 2 : frame + 3]) + seq.to_bytes(2, "little")
        body += bytes(frames[frame + 5 : frame + 22])
        frames[frame + 3 : frame + 5] = seq.to_bytes(2, "little")
        frames[frame + 22 : frame + 24] = crc16_ccitt_false(body).to_bytes(2, "little")
    return bytes(frames)


def test_random_sequence_numbers_give_a_session_as_long_as_the_wire_data_not_hours(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.sqlite"
    with hostile_port(HostileBoard(_random_sequence_numbers, seed=16)) as path:
        summary = run_recording(port=path, simulate=False, database=db, duration_s=5.0)
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
    assert summary.status == "completed"
    assert record.duration_s < 5.0 + 2.0  # the wire carried 5 s; the rule's slack is 1 s
    assert summary.counters["clock_resyncs"] > 100
    assert summary.counters["lost_samples"] < 7.0 * 1000
