"""The board state machine without I/O: replies, refusals, counters, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp_tui.device.protocol import (
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
from microexp_tui.domain.markers import stimulus_onset_code
from microexp_tui.simulator.board import BoardConfig, OutChunk, SimulatedBoard
from microexp_tui.simulator.faults import Fault
from microexp_tui.simulator.participant import ScriptedExpression
from microexp_tui.simulator.replay import load_replay
from microexp_tui.simulator.scenario import Scenario
from tests.simulator import FrameDecoder


def joined(chunks: list[OutChunk]) -> bytes:
    """The bytes of a list of chunks."""
    return b"".join(chunk.data for chunk in chunks)


def command(
    board: SimulatedBoard, cmd: Command, seq: int = 1, argument: int | None = None
) -> FrameDecoder:
    """Send one command and decode the reply."""
    decoder = FrameDecoder(board.channels)
    decoder.feed(joined(board.receive(encode_command(cmd, seq, argument))))
    return decoder


def ack_result(board: SimulatedBoard, cmd: Command, argument: int | None = None) -> int:
    """The result byte the board acks a command with."""
    frames = command(board, cmd, 7, argument).result.of_type(FrameType.ACK)
    ack = parse_ack(frames[0].payload)
    assert (ack.command, ack.command_seq) == (cmd, 7)
    return ack.result


def test_identity_describes_the_simulator() -> None:
    board = SimulatedBoard(BoardConfig(mode="raw", channels=4, sample_rate_hz=2000))
    frames = command(board, Command.HELLO).result.of_type(FrameType.IDENTITY)
    identity = parse_identity(frames[0].payload)
    assert identity.board_id == BoardId.SIMULATOR and identity.simulated
    assert identity.firmware_version_text == "1.0.0"
    assert identity.board_name == "microexp simulator"
    assert (identity.adc_bits, identity.adc_vref_mv) == (10, 5000)
    assert (identity.channel_count, identity.sample_rate_hz) == (4, 2000)
    assert identity.sensor_kinds == (1, 1, 1, 1)


def test_configuration_refusals_follow_the_protocol() -> None:
    board = SimulatedBoard(BoardConfig())
    assert ack_result(board, Command.SET_RATE, 249) == AckResult.BAD_ARGUMENT
    assert ack_result(board, Command.SET_RATE, 2001) == AckResult.BAD_ARGUMENT
    assert ack_result(board, Command.SET_CHANNELS, 0) == AckResult.BAD_ARGUMENT
    assert ack_result(board, Command.SET_CHANNELS, 17) == AckResult.BAD_ARGUMENT
    assert ack_result(board, Command.SET_RATE, 1250) == AckResult.EXCEEDS_ADC
    assert ack_result(board, Command.SET_CHANNELS, 16) == AckResult.EXCEEDS_ADC
    assert ack_result(board, Command.SET_RATE, 600) == AckResult.OK
    assert ack_result(board, Command.SET_CHANNELS, 16) == AckResult.OK
    assert ack_result(board, Command.START) == AckResult.OK
    assert ack_result(board, Command.SET_RATE, 500) == AckResult.BUSY
    assert ack_result(board, Command.SET_CHANNELS, 4) == AckResult.BUSY
    assert ack_result(board, Command.START) == AckResult.BUSY
    assert board.status().last_error == AckResult.BUSY
    assert (board.sample_rate_hz, board.channels) == (600, 16)
    board.reset()
    assert (board.sample_rate_hz, board.channels, board.streaming) == (1000, 8, False)


def test_bad_crc_unknown_and_malformed_commands_count_as_rx_errors() -> None:
    board = SimulatedBoard(BoardConfig())
    corrupt = bytearray(encode_command(Command.PING, 1))
    corrupt[-1] ^= 0xFF
    replies = board.receive(bytes(corrupt) + encode_frame(0x99, 2) + encode_frame(0x87, 3, b"x"))
    assert replies == []
    status = parse_status(command(board, Command.PING).result.of_type(FrameType.STATUS)[0].payload)
    assert status.rx_errors == 3


def test_commands_split_across_reads_and_after_garbage_are_understood() -> None:
    board = SimulatedBoard(BoardConfig())
    data = b"\x00\xa5garbage" + encode_command(Command.HELLO, 5)
    replies = [chunk for byte in data for chunk in board.receive(bytes([byte]))]
    decoder = FrameDecoder(8)
    decoder.feed(joined(replies))
    assert len(decoder.result.of_type(FrameType.IDENTITY)) == 1


def test_samples_start_at_zero_with_a_status_every_second() -> None:
    board = SimulatedBoard(BoardConfig(sample_rate_hz=500, channels=3))
    command(board, Command.START)
    decoder = FrameDecoder(3)
    for size in (1, 7, 600, 1392):
        decoder.feed(joined(board.produce(size)))
    assert decoder.result.indices().tolist() == list(range(2000))
    statuses = [parse_status(f.payload) for f in decoder.result.of_type(FrameType.STATUS)]
    assert [s.samples_acquired for s in statuses] == [500, 1000, 1500, 2000]
    assert all(s.state == DeviceState.STREAMING for s in statuses)
    assert [n for n, f in decoder.result.frames] == [500, 1000, 1500, 2000]


def test_marker_echo_carries_the_next_sample_index() -> None:
    board = SimulatedBoard(BoardConfig())
    command(board, Command.START)
    board.produce(1234)
    result = command(board, Command.MARKER, 9, 0x1001).result
    assert parse_ack(result.of_type(FrameType.ACK)[0].payload).result == AckResult.OK
    echo = parse_marker(result.of_type(FrameType.MARKER)[0].payload)
    assert (echo.sample_index, echo.code, echo.source) == (1234, 0x1001, 0)


def run_session(board: SimulatedBoard, block_sizes: list[int]) -> bytes:
    """START, samples in the given block sizes with a stimulus marker halfway, STOP."""
    out = [joined(board.receive(encode_command(Command.START, 1)))]
    for number, size in enumerate(block_sizes):
        if number == len(block_sizes) // 2:
            code = stimulus_onset_code("anger")
            out.append(joined(board.receive(encode_command(Command.MARKER, 2, code))))
        out.append(joined(board.produce(size)))
    return b"".join(out)


def test_same_seed_and_commands_give_the_same_bytes_whatever_the_block_sizes() -> None:
    for mode in ("envelope", "raw"):
        config = BoardConfig(mode=mode, seed=42, motion_artifacts_per_min=30.0)
        first = run_session(SimulatedBoard(config), [5000, 5000, 5000, 5000])
        second = run_session(SimulatedBoard(config), [3, 4997, 5000, 1, 4999, 5000])
        assert first == second
        other = run_session(SimulatedBoard(BoardConfig(mode=mode, seed=43)), [5000] * 4)
        assert other != first


def test_drop_corrupt_and_level_faults_at_the_board() -> None:
    faults = (
        Fault("drop", 0.5, 0.1),
        Fault("corrupt", 1.0, 0.2),
        Fault("electrode_off", 0.2, 0.1, (1,)),
        Fault("clipping", 0.3, 0.1, (2, 3)),
    )
    board = SimulatedBoard(BoardConfig(faults=faults, motion_artifacts_per_min=0.0))
    command(board, Command.START)
    decoder = FrameDecoder(8)
    decoder.feed(joined(board.produce(2000)))
    indices = decoder.result.indices()
    missing = sorted(set(range(2000)) - set(indices.tolist()))
    assert set(range(500, 600)) <= set(missing)
    assert all(500 <= i < 600 or 1000 <= i < 1250 for i in missing)
    assert decoder.result.crc_errors >= 4
    counts = decoder.result.counts()
    by_index = dict(zip(indices.tolist(), counts, strict=True))
    assert all(by_index[i][1] == 0 for i in range(200, 300))
    assert all((by_index[i][2:4] == 1023).all() for i in range(300, 400))
    assert by_index[199][1] != 0 or by_index[300][1] != 0


def test_a_disconnect_fault_fires_once() -> None:
    board = SimulatedBoard(BoardConfig(faults=(Fault("disconnect", 0.25, 1.0),)))
    command(board, Command.START)
    decoder = FrameDecoder(8)
    decoder.feed(joined(board.produce(1000)))
    assert len(decoder.result.sample_seqs) == 250
    assert board.take_disconnect_request() == Fault("disconnect", 0.25, 1.0)
    board.reset()
    command(board, Command.START)
    assert len(board.produce(1000)) > 0 and board.disconnect_request is None


def test_scripted_expression_and_marker_reaction_at_the_board() -> None:
    script = (ScriptedExpression(0.5, 0.3, 400.0, channels=(3,)),)
    board = SimulatedBoard(
        BoardConfig(scenario=Scenario(expressions=script), motion_artifacts_per_min=0)
    )
    command(board, Command.START)
    board.produce(100)
    command(board, Command.MARKER, 2, stimulus_onset_code("disgust"))
    decoder = FrameDecoder(8)
    decoder.feed(joined(board.produce(4900)))
    counts = decoder.result.counts().astype(float)
    assert counts[600:700, 3].mean() > 300
    reaction = counts[300:4900] > 150
    active_channels = set(np.flatnonzero(reaction.any(axis=0)).tolist())
    assert active_channels <= {2, 3} and active_channels


def test_replay_that_stops_ends_the_stream_with_an_idle_status(tmp_path: Path) -> None:
    csv = tmp_path / "tiny.csv"
    rows = [f"1,happy,{i},1,2,3,4,5,6,{1000 - i},x" for i in range(5)]
    csv.write_text(
        "timestamp,emotion_label,s1,s2,s3,s4,s5,s6,s7,s8,muscle_name\n" + "\n".join(rows)
    )
    board = SimulatedBoard(BoardConfig(replay=load_replay(csv, "stop")))
    command(board, Command.START)
    decoder = FrameDecoder(8)
    decoder.feed(joined(board.produce(100)))
    assert decoder.result.counts()[:, 0].tolist() == [0, 1, 2, 3, 4]
    status = parse_status(decoder.result.of_type(FrameType.STATUS)[-1].payload)
    assert (status.state, status.samples_acquired, board.streaming) == (DeviceState.IDLE, 5, False)
    assert ack_result(board, Command.SET_CHANNELS, 4) == AckResult.UNSUPPORTED
