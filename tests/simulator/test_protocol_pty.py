"""The simulator speaks the firmware protocol over a real pty, seen through pyserial."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from microexp_tui.device.protocol import (
    Ack,
    AckResult,
    BoardId,
    Command,
    DeviceState,
    FrameType,
    encode_command,
    encode_frame,
    parse_ack,
    parse_identity,
    parse_marker,
    parse_status,
)
from microexp_tui.simulator import SimulatorProcess, start_simulator_process
from tests.simulator import Host


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorProcess]:
    """One fast simulator for the module; each test opens (and closes) its own connection."""
    with start_simulator_process(["--fast", "--seed", "3"]) as process:
        yield process


@pytest.fixture
def host(simulator: SimulatorProcess) -> Iterator[Host]:
    """A fresh connection: the board starts idle with its power-up settings."""
    connection = Host(simulator.port)
    yield connection
    connection.close()


def test_hello_gets_a_valid_identity(host: Host) -> None:
    host.send(Command.HELLO)
    identity = parse_identity(host.wait_frame(FrameType.IDENTITY).payload)
    assert identity.protocol_version == 1
    assert identity.board_id == BoardId.SIMULATOR and identity.simulated
    assert (identity.channel_count, identity.sample_rate_hz) == (8, 1000)
    assert identity.sensor_kinds == (0,) * 8
    assert identity.board_name == "microexp simulator"


def test_start_streams_consecutive_samples_from_zero_then_stop(host: Host) -> None:
    seq = host.send(Command.START)
    ack = parse_ack(host.wait_frame(FrameType.ACK).payload)
    assert (ack.command, ack.command_seq, ack.result) == (Command.START, seq, AckResult.OK)
    decoded = host.samples(70_000)
    indices = decoded.indices()
    assert indices[0] == 0
    assert (indices == range(len(indices))).all()
    assert decoded.wrong_length == 0 and decoded.crc_errors == 0
    assert decoded.counts().max() <= 1023
    statuses = [parse_status(frame.payload) for frame in decoded.of_type(FrameType.STATUS)]
    assert [s.samples_acquired for s in statuses[:65]] == [1000 * (n + 1) for n in range(65)]
    assert all(s.state == DeviceState.STREAMING for s in statuses)
    host.send(Command.STOP)
    host.read_until(lambda d: len(d.of_type(FrameType.ACK)) == 2)
    acks = [parse_ack(f.payload) for f in decoded.of_type(FrameType.ACK)]
    assert acks[1].command == Command.STOP
    received = len(decoded.sample_seqs)
    for _ in range(5):
        host.pump()
    assert len(decoded.sample_seqs) == received


def test_set_rate_and_channels_with_refusals(host: Host) -> None:
    results: list[Ack] = []
    for cmd, value in [
        (Command.SET_RATE, 100),
        (Command.SET_CHANNELS, 17),
        (Command.SET_RATE, 2000),
        (Command.SET_CHANNELS, 4),
        (Command.SET_RATE, 2000),
    ]:
        host.send(cmd, value)
        results.append(parse_ack(host.wait_frame(FrameType.ACK, after=len(results)).payload))
    assert [a.result for a in results] == [
        AckResult.BAD_ARGUMENT,
        AckResult.BAD_ARGUMENT,
        AckResult.EXCEEDS_ADC,
        AckResult.OK,
        AckResult.OK,
    ]
    host.send(Command.HELLO)
    identity = parse_identity(host.wait_frame(FrameType.IDENTITY).payload)
    assert (identity.channel_count, identity.sample_rate_hz) == (4, 2000)
    host.send(Command.START)
    host.decoder.result.channels = 4
    host.samples(5000)
    host.send(Command.SET_RATE, 500)
    busy = host.wait_frame(FrameType.ACK, timeout_s=10, after=6)
    assert parse_ack(busy.payload).result == AckResult.BUSY
    assert host.decoded.wrong_length == 0
    status = parse_status(host.decoded.of_type(FrameType.STATUS)[0].payload)
    assert status.samples_acquired == 2000


def test_marker_echo_index_is_consistent_with_the_samples(host: Host) -> None:
    host.send(Command.START)
    host.samples(3000)
    seq = host.send(Command.MARKER, 0x1005)
    frame = host.wait_frame(FrameType.MARKER, timeout_s=10)
    decoded = host.samples(len(host.decoded.sample_seqs) + 10, timeout_s=10)
    ack = next(parse_ack(f.payload) for f in decoded.of_type(FrameType.ACK) if f.seq != 0)
    assert (ack.command, ack.command_seq, ack.result) == (Command.MARKER, seq, AckResult.OK)
    echo = parse_marker(frame.payload)
    assert (echo.code, echo.source) == (0x1005, 0)
    samples_before = next(n for n, f in decoded.frames if f.frame_type == FrameType.MARKER)
    indices = decoded.indices()
    assert indices[samples_before - 1] == echo.sample_index - 1
    assert indices[samples_before] == echo.sample_index


def test_ping_reports_rx_errors_from_bad_crc_and_unknown_commands(host: Host) -> None:
    bad = bytearray(encode_command(Command.HELLO, 1))
    bad[-2] ^= 0x55
    host.send_raw(bytes(bad) + encode_frame(0x90, 2) + b"\x00\x01noise")
    host.send(Command.PING)
    status = parse_status(host.wait_frame(FrameType.STATUS).payload)
    assert status.rx_errors == 2
    assert (status.state, status.samples_acquired, status.tx_overflow_frames) == (0, 0, 0)
    assert host.decoded.of_type(FrameType.IDENTITY) == []


def test_closing_the_port_resets_the_board(simulator: SimulatorProcess) -> None:
    first = Host(simulator.port)
    first.send(Command.SET_RATE, 500)
    first.wait_frame(FrameType.ACK)
    first.send(Command.START)
    first.samples(100)
    first.close()
    second = Host(simulator.port)
    try:
        second.send(Command.HELLO)
        identity = parse_identity(second.wait_frame(FrameType.IDENTITY).payload)
        assert (identity.sample_rate_hz, identity.streaming) == (1000, False)
        for _ in range(5):
            second.pump()
        samples_before_identity = second.decoded.frames[0][0]
        assert len(second.decoded.sample_seqs) == samples_before_identity
    finally:
        second.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_simulator_cleanly(signum: int) -> None:
    process = start_simulator_process(["--fast"])
    host = Host(process.port)
    host.send(Command.START)
    host.samples(1000)
    process.process.send_signal(signum)
    assert process.process.wait(10) == 0
    host.close()
    process.stop()


def test_duration_cap_and_stdout_carries_only_the_path() -> None:
    process = start_simulator_process(["--duration-s", "0.3", "--log-level", "INFO"])
    assert process.port.startswith("/dev/")
    assert process.process.wait(10) == 0
    assert process.process.stdout is not None
    assert process.process.stdout.read() == b""
    assert "simulated board on" in process.stderr_text()
    process.stop()


def first_bytes(seed: str, n_bytes: int) -> bytes:
    """The first n_bytes a fresh fast simulator sends after START."""
    with start_simulator_process(["--fast", "--mode", "raw", "--seed", seed]) as process:
        host = Host(process.port)
        host.send(Command.START)
        data = b""
        while len(data) < n_bytes:
            data += host.serial.read(n_bytes - len(data))
        host.close()
    return data


def test_same_seed_gives_the_same_bytes_on_the_wire() -> None:
    first = first_bytes("11", 200_000)
    assert first == first_bytes("11", 200_000)
    assert first != first_bytes("12", 200_000)
