"""Every fault kind is observable by a host reading the pty with pyserial."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import serial

from microexp_tui.device.protocol import Command, FrameType, parse_identity
from microexp_tui.simulator import start_simulator_process
from tests.simulator import Host


def test_flat_line_clipping_corrupt_bytes_and_dropped_frames() -> None:
    args = [
        "--fast",
        "--motion-artifacts-per-min",
        "0",
        "--fault",
        "electrode_off@1:1:3",
        "--fault",
        "clipping@2.5:0.5:2,4-5",
        "--fault",
        "corrupt@4:0.5",
        "--fault",
        "drop@6:0.2",
    ]
    with start_simulator_process(args) as simulator:
        host = Host(simulator.port)
        host.send(Command.START)
        decoded = host.read_until(lambda d: len(d.sample_seqs) > 0 and d.sample_seqs[-1] > 8000)
        host.close()
    by_index = dict(zip(decoded.indices().tolist(), decoded.counts(), strict=True))
    flat = np.array([by_index[i] for i in range(1000, 2000)])
    assert (flat[:, 2] == 0).all() and (flat[:, [0, 1, 3]] > 0).any(axis=0).all()
    assert by_index[999][2] > 0 or by_index[2000][2] > 0
    clipped = np.array([by_index[i] for i in range(2500, 3000)])
    assert (clipped[:, [1, 3, 4]] == 1023).all() and (clipped[:, [0, 2, 5, 6, 7]] < 1023).all()
    assert decoded.crc_errors >= 8
    missing = set(range(8000)) - set(by_index)
    assert {i for i in missing if i >= 5000} == set(range(6000, 6200))
    assert all(4000 <= i < 4600 for i in missing if i < 5000)


def test_disconnect_closes_the_pty_and_the_link_leads_to_the_new_one(tmp_path: Path) -> None:
    link = tmp_path / "board"
    args = ["--link", str(link), "--fault", "disconnect@0.5:0.3"]
    with start_simulator_process(args) as simulator:
        assert simulator.port == str(link)
        assert os.path.exists(os.readlink(link))
        host = Host(simulator.port)
        host.send(Command.START)
        with pytest.raises(serial.SerialException):
            host.read_until(lambda d: False, timeout_s=10)
        assert 0 < len(host.decoded.sample_seqs) <= 500
        assert host.decoded.sample_seqs == list(range(len(host.decoded.sample_seqs)))
        host.close()
        assert simulator.wait_for_port(timeout_s=10) == str(link)
        assert os.readlink(link).startswith("/dev/") and os.path.exists(os.readlink(link))
        again = Host(str(link))
        again.send(Command.HELLO)
        assert parse_identity(again.wait_frame(FrameType.IDENTITY).payload).channel_count == 8
        again.send(Command.START)
        again.samples(200)
        again.close()
    assert not link.exists()
