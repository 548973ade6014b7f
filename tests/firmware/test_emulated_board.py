"""The firmware in simavr, driven through a real pty with pyserial: commands and streaming.

The harness answers every ADC conversion with a known input (`--signal ramp`: a distinct
value per sample set and channel; `--signal sine` with the millivolts logged per
conversion), so every received count is checked exactly: floor(mV * 1023 / 5000).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import serial

from microexp_tui.device import codec
from microexp_tui.device.protocol import (
    PROTOCOL_VERSION,
    Ack,
    AckResult,
    BoardId,
    Command,
    DeviceState,
    Frame,
    FrameType,
    Identity,
    MarkerEcho,
    MarkerSource,
    SensorKind,
    Status,
    encode_command,
    encode_frame,
    status_payload,
)
from microexp_tui.device.transport import BoardLink, open_serial
from tests.firmware import (
    F_CPU_HZ,
    ISR_LATENCY_CYCLES,
    Events,
    adc_counts,
    emulated_board,
    expected_ramp,
    marker_window,
)

SPEED = ["--speed", "20"]
"""Emulated time may run 20x the wall clock: the chip stalls whenever the test stops reading."""


class Host:
    """A test host on the board's pty: raw pyserial, the protocol encoder and the codec."""

    def __init__(self, port: str, channels: int = 8) -> None:
        """Open the port like the application does (500000 baud, exclusive)."""
        self.serial: serial.Serial = open_serial(port)
        self.channels = channels
        self.seq = 0
        self._state = codec.DecoderState()
        self.frames: list[Frame] = []
        self.runs: list[codec.SampleRun] = []
        self.order: list[str] = []
        """Stream order of what arrived: 'S<seq>' per sample set, else the frame type name."""
        self.crc_errors = 0
        self.malformed = 0

    def close(self) -> None:
        """Close the port (the emulated Mega resets, as on DTR)."""
        self.serial.close()

    def write(self, data: bytes) -> None:
        """Raw bytes to the board."""
        self.serial.write(data)
        self.serial.flush()

    def send(self, command: Command, argument: int | None = None) -> int:
        """One command; returns its seq."""
        seq = self.seq
        self.seq = (self.seq + 1) & 0xFFFF
        self.write(encode_command(command, seq, argument))
        return seq

    def pump(self, done: Callable[[], bool], timeout_s: float = 20.0) -> None:
        """Read and decode until `done()` holds."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the board")
            data = self.serial.read(max(1, self.serial.in_waiting))
            self.feed(data)

    def feed(self, data: bytes) -> None:
        """Decode received bytes into frames and sample runs."""
        self._state, result = codec.decode(self._state, data, self.channels)
        self.crc_errors += result.crc_errors
        self.malformed += result.malformed
        for item in result.items:
            if isinstance(item, codec.SampleRun):
                self.runs.append(item)
                seqs = (item.first_seq + np.arange(item.counts.shape[0])) & 0xFFFF
                self.order.extend(f"S{seq}" for seq in seqs)
            else:
                self.frames.append(item)
                self.order.append(FrameType(item.frame_type).name)

    def records(self, frame_type: FrameType) -> list[object]:
        """Parsed records of one frame type, in arrival order."""
        return [codec.parse_frame(f) for f in self.frames if f.frame_type == frame_type]

    def ack_for(self, seq: int) -> Ack | None:
        """The ACK of the command with this seq, if it arrived."""
        for record in self.records(FrameType.ACK):
            if isinstance(record, Ack) and record.command_seq == seq:
                return record
        return None

    def command(self, command: Command, argument: int | None = None) -> Ack:
        """Send a command and wait for its ACK."""
        seq = self.send(command, argument)
        self.pump(lambda: self.ack_for(seq) is not None)
        ack = self.ack_for(seq)
        assert ack is not None and ack.command == command
        return ack

    def reply(self, command: Command, frame_type: FrameType) -> object:
        """Send HELLO or PING and wait for the next frame of `frame_type`."""
        before = len(self.records(frame_type))
        self.send(command)
        self.pump(lambda: len(self.records(frame_type)) > before)
        return self.records(frame_type)[-1]

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(absolute indices, counts) of every sample set received, unwrapping seq."""
        indices, blocks = [], []
        base = 0
        last = -1
        for run in self.runs:
            first = base + run.first_seq
            if first <= last:
                base += 1 << 16
                first += 1 << 16
            n = run.counts.shape[0]
            indices.append(np.arange(first, first + n))
            blocks.append(run.counts)
            last = first + n - 1
        if not blocks:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.channels), dtype=np.int64)
        return np.concatenate(indices), np.concatenate(blocks).astype(np.int64)

    def sample_count(self) -> int:
        """Sample sets received so far."""
        return sum(run.counts.shape[0] for run in self.runs)


def assert_contiguous_from_zero(indices: np.ndarray) -> None:
    """No sequence gap: indices 0, 1, 2, ..."""
    assert indices[0] == 0
    np.testing.assert_array_equal(np.diff(indices), 1)


# -- identity and configuration ----------------------------------------------------------


def test_handshake_identifies_a_mega_2560_with_power_up_defaults() -> None:
    with emulated_board(SPEED) as board:
        link = BoardLink(board.port)
        identity = link.connect()  # STOP, flush, HELLO every 250 ms: the application's path
        link.close()
    assert identity == Identity(
        protocol_version=PROTOCOL_VERSION,
        firmware_version=(1, 0, 0),
        board_id=BoardId.MEGA2560,
        channel_count=8,
        sample_rate_hz=1000,
        adc_bits=10,
        adc_vref_mv=5000,
        sensor_kinds=(SensorKind.ENVELOPE,) * 8,
        board_name="microexp-mega2560",
        simulated=False,
        streaming=False,
    )


def test_configuration_commands_are_checked_like_the_simulated_board() -> None:
    with emulated_board(SPEED) as board:
        host = Host(board.port)
        try:
            results = {
                "rate 249": host.command(Command.SET_RATE, 249).result,
                "rate 2001": host.command(Command.SET_RATE, 2001).result,
                "channels 0": host.command(Command.SET_CHANNELS, 0).result,
                "channels 17": host.command(Command.SET_CHANNELS, 17).result,
                "8 x 2000": host.command(Command.SET_RATE, 2000).result,
                "16 x 1000": host.command(Command.SET_CHANNELS, 16).result,
            }
            status = host.reply(Command.PING, FrameType.STATUS)
            results["4 channels"] = host.command(Command.SET_CHANNELS, 4).result
            results["4 x 2000"] = host.command(Command.SET_RATE, 2000).result
            results["5 x 2000"] = host.command(Command.SET_CHANNELS, 5).result
            identity = host.reply(Command.HELLO, FrameType.IDENTITY)
            stop_when_idle = host.command(Command.STOP).result
        finally:
            host.close()
    assert results == {
        "rate 249": AckResult.BAD_ARGUMENT,
        "rate 2001": AckResult.BAD_ARGUMENT,
        "channels 0": AckResult.BAD_ARGUMENT,
        "channels 17": AckResult.BAD_ARGUMENT,
        "8 x 2000": AckResult.EXCEEDS_ADC,
        "16 x 1000": AckResult.EXCEEDS_ADC,
        "4 channels": AckResult.OK,
        "4 x 2000": AckResult.OK,
        "5 x 2000": AckResult.EXCEEDS_ADC,
    }
    assert isinstance(status, Status)
    assert status.state == DeviceState.IDLE and status.last_error == AckResult.EXCEEDS_ADC
    assert isinstance(identity, Identity)
    assert (identity.channel_count, identity.sample_rate_hz) == (4, 2000)
    assert identity.sensor_kinds == (SensorKind.ENVELOPE,) * 4
    assert stop_when_idle == AckResult.OK
    assert host.crc_errors == 0 and host.malformed == 0


def test_malformed_and_misdirected_frames_are_counted_and_never_answered() -> None:
    with emulated_board(SPEED) as board:
        host = Host(board.port)
        try:
            set_rate_short = encode_frame(Command.SET_RATE, 40, b"\xe8")  # u16 expected
            bad_crc = bytearray(encode_command(Command.HELLO, 41))
            bad_crc[-1] ^= 0xFF
            device_frame = encode_frame(
                FrameType.STATUS, 42, status_payload(Status(0, 0, 0, 0, 0, 0))
            )
            unknown = encode_frame(0x99, 43)
            host.write(
                b"\x00\x11garbage" + set_rate_short + bytes(bad_crc) + device_frame + unknown
            )
            status = host.reply(Command.PING, FrameType.STATUS)
        finally:
            host.close()
    assert isinstance(status, Status)
    assert status.rx_errors == 4  # short payload, bad CRC, a STATUS sent to the board, 0x99
    assert [f.frame_type for f in host.frames] == [FrameType.STATUS]  # only the PING's


# -- streaming -----------------------------------------------------------------------------


def test_streaming_start_stop_markers_and_heartbeat(tmp_path: Path) -> None:
    events_path = tmp_path / "events.txt"
    with emulated_board([*SPEED, "--signal", "ramp", "--events", str(events_path)]) as board:
        host = Host(board.port, channels=4)
        try:
            assert host.command(Command.SET_CHANNELS, 4).result == AckResult.OK
            assert host.command(Command.SET_RATE, 2000).result == AckResult.OK
            start = host.command(Command.START)
            host.pump(lambda: host.sample_count() >= 1000)
            refused = [
                host.command(Command.START).result,
                host.command(Command.SET_RATE, 1000).result,
                host.command(Command.SET_CHANNELS, 2).result,
            ]
            marker_ack = host.command(Command.MARKER, 0x1234)
            host.pump(lambda: len(host.records(FrameType.MARKER)) == 1)
            streaming_identity = host.reply(Command.HELLO, FrameType.IDENTITY)
            host.pump(lambda: host.sample_count() >= 4600)  # > 2 s at 2 kHz
            ping = host.reply(Command.PING, FrameType.STATUS)
            stop = host.command(Command.STOP)
            after_stop = len(host.order)
            time.sleep(0.3)  # 6 s of emulated time at --speed 20: nothing may follow the ACK
            host.feed(host.serial.read(host.serial.in_waiting))
            late = host.order[after_stop:]
            idle_marker = host.command(Command.MARKER, 0x0300)
            host.pump(lambda: len(host.records(FrameType.MARKER)) == 2)
            idle_status = host.reply(Command.PING, FrameType.STATUS)
        finally:
            host.close()
    events = Events.read(events_path)

    assert start.result == AckResult.OK
    assert refused == [AckResult.BUSY] * 3
    assert marker_ack.result == AckResult.OK and stop.result == AckResult.OK
    assert host.crc_errors == 0 and host.malformed == 0

    # every sample set from index 0, no gap, each value exactly the injected input
    indices, counts = host.samples()
    assert_contiguous_from_zero(indices)
    assert counts.shape[1] == 4
    np.testing.assert_array_equal(counts, expected_ramp(indices, 4))
    assert host.order.index("ACK") < host.order.index("S0")
    assert late == [], "nothing of the stream may follow the STOP's ACK"

    # the STOP ends the stream: every tick the chip took was delivered
    assert len(events.ticks) == 1
    assert len(events.ticks[0]) == indices.size
    # and the rate is exact: 8000 cycles per tick at 16 MHz / 2000 Hz, with no drift
    # (a tick's interrupt may wait for another handler: at most ISR_LATENCY_CYCLES)
    ticks = np.array(events.ticks[0])
    assert abs(int(ticks[-1] - ticks[0]) - (ticks.size - 1) * 8000) <= ISR_LATENCY_CYCLES
    assert np.abs(np.diff(ticks) - 8000).max() <= ISR_LATENCY_CYCLES

    # STATUS once per second of sample time, right after the sample set that completes it
    statuses = [r for r in host.records(FrameType.STATUS) if isinstance(r, Status)]
    heartbeats = [s for s in statuses if s.samples_acquired % 2000 == 0 and s is not ping]
    assert [s.samples_acquired for s in heartbeats[:2]] == [2000, 4000]
    first = host.order.index("STATUS")
    assert host.order[first - 1] == "S1999"
    assert all(s.state == DeviceState.STREAMING for s in heartbeats[:2])
    assert isinstance(ping, Status) and ping.state == DeviceState.STREAMING
    assert ping.tx_overflow_frames == 0 and ping.adc_overruns == 0 and ping.rx_errors == 0
    assert isinstance(streaming_identity, Identity) and streaming_identity.streaming

    # the host marker lands on the first sample set taken after it reached the board
    markers = [m for m in host.records(FrameType.MARKER) if isinstance(m, MarkerEcho)]
    assert markers[0].code == 0x1234 and markers[0].source == MarkerSource.HOST
    sent = [cycle for cycle, kind, _ in events.commands if kind == Command.MARKER]
    earliest, latest = marker_window(events.ticks[0], sent[0])
    assert earliest <= markers[0].sample_index <= latest
    # idle: echoed at the current next index (the samples acquired by the stopped stream)
    assert idle_marker.result == AckResult.OK
    assert markers[1].sample_index == indices.size and markers[1].code == 0x0300
    assert isinstance(idle_status, Status) and idle_status.state == DeviceState.IDLE
    assert idle_status.samples_acquired == indices.size

    # LED: off at power-up, on while streaming, off after STOP
    assert [level for _, level in events.led] == [1, 0]
    assert events.ticks[0][0] > events.led[0][0] and events.led[1][0] > events.ticks[0][-1]


def test_closing_the_port_resets_the_board_like_the_mega_dtr_reset() -> None:
    with emulated_board(SPEED) as board:
        host = Host(board.port)
        assert host.command(Command.SET_CHANNELS, 2).result == AckResult.OK
        assert host.command(Command.START).result == AckResult.OK
        host.channels = 2
        host.pump(lambda: host.sample_count() > 10)
        host.close()
        time.sleep(0.2)
        again = Host(board.port)
        try:
            identity = again.reply(Command.HELLO, FrameType.IDENTITY)
        finally:
            again.close()
    assert isinstance(identity, Identity)
    assert identity.channel_count == 8 and identity.sample_rate_hz == 1000
    assert not identity.streaming


def test_sixteen_channels_at_the_adc_budget_store_every_sine_value(tmp_path: Path) -> None:
    events_path = tmp_path / "events.txt"
    args = [*SPEED, "--signal", "sine", "--amp-mv", "2400", "--offset-mv", "2500"]
    with emulated_board([*args, "--events", str(events_path)]) as board:
        host = Host(board.port, channels=16)
        try:
            assert host.command(Command.SET_RATE, 600).result == AckResult.OK
            assert host.command(Command.SET_CHANNELS, 16).result == AckResult.OK  # 9600 S/s
            assert host.command(Command.START).result == AckResult.OK
            host.pump(lambda: host.sample_count() >= 1300)  # > 2 s at 600 Hz
            status = host.reply(Command.PING, FrameType.STATUS)
            assert host.command(Command.STOP).result == AckResult.OK
        finally:
            host.close()
    events = Events.read(events_path)
    indices, counts = host.samples()
    assert_contiguous_from_zero(indices)
    expected = np.array(
        [[adc_counts(events.conversions[(0, int(k), c)]) for c in range(16)] for k in indices]
    )
    np.testing.assert_array_equal(counts, expected)
    assert counts[:, 8:].std() > 100, "ADC8..15 carry signal too"
    assert isinstance(status, Status) and status.adc_overruns == 0
    assert status.tx_overflow_frames == 0


def test_rates_that_do_not_divide_the_clock_are_exact_on_average(tmp_path: Path) -> None:
    events_path = tmp_path / "events.txt"
    with emulated_board([*SPEED, "--signal", "ramp", "--events", str(events_path)]) as board:
        host = Host(board.port, channels=4)
        try:
            assert host.command(Command.SET_CHANNELS, 4).result == AckResult.OK
            assert host.command(Command.SET_RATE, 1920).result == AckResult.OK
            assert host.command(Command.START).result == AckResult.OK
            host.pump(lambda: host.sample_count() >= 3 * 1920)
            assert host.command(Command.STOP).result == AckResult.OK
        finally:
            host.close()
    ticks = np.array(Events.read(events_path).ticks[0])
    # 16 MHz / 1920 Hz = 8333 1/3 cycles: periods of 8333 and 8334 cycles alternate so
    # that every 3 ticks are 25000 cycles apart and the rate never drifts
    assert np.abs(np.diff(ticks[::3]) - 25_000).max() <= ISR_LATENCY_CYCLES
    span = int(ticks[-1] - ticks[0])
    assert abs(span - round((ticks.size - 1) * F_CPU_HZ / 1920)) <= ISR_LATENCY_CYCLES
    indices, counts = host.samples()
    assert_contiguous_from_zero(indices)
    np.testing.assert_array_equal(counts, expected_ramp(indices, 4))


def test_transmit_overflow_is_counted_and_never_silent(tmp_path: Path) -> None:
    events_path = tmp_path / "events.txt"
    # the UART sends 4x slower than 500 kbaud: 8 x 1000 Hz frames cannot all fit
    args = [*SPEED, "--signal", "ramp", "--slow-uart", "4", "--events", str(events_path)]
    with emulated_board(args) as board:
        host = Host(board.port)
        try:
            assert host.command(Command.START).result == AckResult.OK
            host.pump(lambda: host.sample_count() >= 1500)
            assert host.command(Command.STOP).result == AckResult.OK
            status = host.reply(Command.PING, FrameType.STATUS)
        finally:
            host.close()
    indices, counts = host.samples()
    assert isinstance(status, Status)
    lost = status.samples_acquired - indices.size
    assert lost > 500, "the slowed line must lose frames"
    # every sample set acquired is either received or counted as a dropped frame
    assert status.tx_overflow_frames == lost and status.adc_overruns == 0
    # and each loss shows as a gap in the sequence numbers, never as wrong data
    assert np.diff(indices).max() > 1
    np.testing.assert_array_equal(counts, expected_ramp(indices, 8))
    heartbeats = [r for r in host.records(FrameType.STATUS) if isinstance(r, Status)][:-1]
    assert heartbeats and all(s.state == DeviceState.ERROR for s in heartbeats)
    # the LED blinks while the stream is losing data
    events = Events.read(events_path)
    toggles = [c for c, _ in events.led if events.ticks[0][0] < c < events.ticks[0][-1]]
    assert len(toggles) >= 4


def test_trigger_edges_make_markers_and_ringing_within_the_hold_off_does_not() -> None:
    # pulses after ticks 100, 101 (1 ms later: inside the 2 ms hold-off) and 110
    with emulated_board([*SPEED, "--trigger", "100,101,110"]) as board:
        host = Host(board.port)
        try:
            assert host.command(Command.START).result == AckResult.OK
            host.pump(lambda: host.sample_count() >= 200)
            assert host.command(Command.STOP).result == AckResult.OK
        finally:
            host.close()
    markers = [m for m in host.records(FrameType.MARKER) if isinstance(m, MarkerEcho)]
    assert markers == [
        MarkerEcho(101, 0x0400, MarkerSource.TRIGGER),
        MarkerEcho(111, 0x0400, MarkerSource.TRIGGER),
    ]
