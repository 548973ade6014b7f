"""Session sources: a board records at most 16 channels, an imported recording up to 256."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import Batch
from microexp_tui.errors import InputError
from microexp_tui.store.sessions import SessionStore


def _channels(count: int) -> list[ChannelSpec]:
    """`count` uncalibrated channels."""
    return [ChannelSpec(i, f"E{i + 1}", None, "raw", unit="count", scale=1.0) for i in range(count)]


def _start(store: SessionStore, count: int, source: str) -> int:
    """Start a session of `count` channels from `source`."""
    participant = store.create_participant()
    return store.start_session(
        participant.id,
        sample_rate_hz=2048.0,
        channels=_channels(count),
        device={"source_file": "cap.bdf"} if source == "import" else {},
        simulated=False,
        source=source,
    )


def test_an_imported_session_of_256_channels_is_stored_and_read_back(tmp_path: Path) -> None:
    values = np.arange(4 * 256, dtype=np.int16).reshape(4, 256)
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = _start(store, 256, "import")
        store.write_batch(session_id, Batch(chunks=[(0, values)]))
        store.finish_session(session_id, "completed")
    with SessionStore.open(tmp_path / "s.db") as store:
        record = store.session(session_id)
        block = store.read_samples(session_id)
        start = next(e for e in store.audit_entries(session_id) if e["action"] == "session.start")
    assert (record.source, record.channel_count, record.status) == ("import", 256, "completed")
    assert record.channels[255].label == "E256"
    np.testing.assert_array_equal(block.values, values)
    assert '"source":"import"' in start["detail"]


@pytest.mark.parametrize(("count", "source", "limit"), [(17, "board", 16), (257, "import", 256)])
def test_more_channels_than_the_source_allows_are_refused(
    tmp_path: Path, count: int, source: str, limit: int
) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        with pytest.raises(InputError, match=f"at most {limit} channels, not {count}"):
            _start(store, count, source)
        assert store.list_sessions() == []


def test_a_board_session_of_16_channels_is_accepted(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        record = store.session(_start(store, 16, "board"))
    assert (record.source, record.channel_count, record.sample_format) == ("board", 16, "int16")


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store, pytest.raises(InputError, match="board"):
        _start(store, 2, "camera")
