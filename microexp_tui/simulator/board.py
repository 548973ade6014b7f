"""The simulated board's protocol state machine: commands in, frames out, no I/O.

It answers exactly like the firmware (firmware/PROTOCOL.md): identity, acks, refusals,
SAMPLES from index 0 at START, a STATUS every second of sample time, marker echoes at
the next sample index. The pty server decides when samples are due and moves the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from microexp_tui.device import codec
from microexp_tui.device.protocol import (
    MAX_CHANNELS,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    OVERHEAD_BYTES,
    PROTOCOL_VERSION,
    Ack,
    AckResult,
    BoardId,
    Command,
    DeviceState,
    FrameType,
    Identity,
    MarkerEcho,
    MarkerSource,
    SensorKind,
    Status,
    ack_payload,
    adc_budget_allows,
    encode_frame,
    encode_samples_block,
    identity_payload,
    marker_payload,
    status_payload,
)
from microexp_tui.simulator.faults import (
    Fault,
    apply_level_faults,
    corrupt_frames,
    kept_runs,
)
from microexp_tui.simulator.participant import SimulatedParticipant
from microexp_tui.simulator.replay import REPLAY_CHANNELS, ReplayData
from microexp_tui.simulator.scenario import Scenario
from microexp_tui.simulator.signals import SignalConfig, SignalGenerator, to_counts

FIRMWARE_VERSION = (1, 0, 0)
BOARD_NAME = "microexp simulator"
ADC_BITS = 10
ADC_VREF_MV = 5000
RATE_RANGE_HZ = (MIN_RATE_HZ, MAX_RATE_HZ)
CHANNEL_RANGE = (1, MAX_CHANNELS)


@dataclass(frozen=True)
class OutChunk:
    """Encoded frames of equal size; `droppable` ones may be lost to a full transmit buffer."""

    data: bytes
    frame_bytes: int
    droppable: bool


@dataclass(frozen=True)
class BoardConfig:
    """Power-up settings of the simulated board and what it streams."""

    mode: str = "envelope"
    sample_rate_hz: int = 1000
    channels: int = 8
    seed: int = 0
    mains_hz: float = 50.0
    motion_artifacts_per_min: float = 1.0
    scenario: Scenario = field(default_factory=Scenario)
    faults: tuple[Fault, ...] = ()
    """Faults beyond the scenario's (from --fault)."""
    replay: ReplayData | None = None


class SampleSource(Protocol):
    """Where a stream's ADC counts come from."""

    def block(self, first_index: int, n_samples: int) -> npt.NDArray[np.uint16]:
        """(samples, channels) counts of consecutive sample indices."""
        ...


class EmgSource:
    """Synthetic EMG: the participant's activations rendered by the signal generator."""

    def __init__(self, generator: SignalGenerator, participant: SimulatedParticipant) -> None:
        """Join a generator and a participant for one stream."""
        self.generator = generator
        self.participant = participant
        self.rate_hz = generator.config.sample_rate_hz

    def block(self, first_index: int, n_samples: int) -> npt.NDArray[np.uint16]:
        """Counts of the next samples, with the activations known so far."""
        self.participant.forget_before(first_index / self.rate_hz)
        activations = self.participant.activations_until((first_index + n_samples) / self.rate_hz)
        still = self.participant.still_windows
        return to_counts(self.generator.block(first_index, n_samples, activations, still))


_COMMANDS = frozenset(int(command) for command in Command)


class EmgSettings(Protocol):
    """What a simulated board or sketch configures its synthetic EMG with."""

    @property
    def seed(self) -> int: ...
    @property
    def mains_hz(self) -> float: ...
    @property
    def motion_artifacts_per_min(self) -> float: ...
    @property
    def scenario(self) -> Scenario: ...


def synthetic_emg(
    config: EmgSettings, mode: str, sample_rate_hz: int, channels: int, stream: int
) -> EmgSource:
    """Synthetic EMG with a fresh participant for stream number `stream` (after a reset)."""
    signal = SignalConfig(
        mode=mode,
        sample_rate_hz=sample_rate_hz,
        channels=channels,
        seed=config.seed,
        stream=stream,
        mains_hz=config.mains_hz,
        motion_artifacts_per_min=config.motion_artifacts_per_min,
    )
    participant = SimulatedParticipant(
        config.scenario.participant, config.scenario.expressions, config.seed, stream
    )
    return EmgSource(SignalGenerator(signal), participant)


class SimulatedBoard:
    """Protocol state machine of one simulated board (survives host reconnections)."""

    def __init__(self, config: BoardConfig) -> None:
        """Power up idle with the configured rate and channel count."""
        self.config = config
        self.faults = config.scenario.faults + config.faults
        self._decoder = codec.DecoderState()
        self._fired_disconnects: set[int] = set()
        self.disconnect_request: Fault | None = None
        self.stream_number = 0
        self.source: SampleSource | None = None
        self.reset()

    def reset(self) -> None:
        """Back to power-up state, as the Mega does when the host closes the port."""
        self.sample_rate_hz = self.config.sample_rate_hz
        self.channels = self.config.channels
        self.streaming = False
        self.next_index = 0
        self.rx_errors = 0
        self.tx_overflow_frames = 0
        self.last_error = AckResult.OK
        self._frame_seq = 0
        self._decoder = codec.DecoderState()

    def receive(self, data: bytes) -> list[OutChunk]:
        """Handle host bytes; returns the replies (never droppable)."""
        self._decoder, result = codec.decode(self._decoder, data, self.channels)
        self.rx_errors += result.crc_errors + result.malformed
        replies: list[bytes] = []
        for frame in result.items:
            if isinstance(frame, codec.SampleRun) or frame.frame_type not in _COMMANDS:
                self.rx_errors += 1
                continue
            replies.extend(self._handle(Command(frame.frame_type), frame.seq, frame.payload))
        return [OutChunk(reply, len(reply), droppable=False) for reply in replies]

    def produce(self, n_samples: int) -> list[OutChunk]:
        """The next `n_samples` sample sets as frames, with a STATUS at each whole second."""
        chunks: list[OutChunk] = []
        while n_samples > 0 and self.streaming and self.disconnect_request is None:
            take = min(n_samples, self._samples_until_event())
            if take == 0:
                if not self.streaming:  # a replay that does not loop has ended
                    chunks.append(self._status_chunk())
                break
            chunks.extend(self._sample_chunks(take))
            self.next_index += take
            n_samples -= take
            if self.next_index % self.sample_rate_hz == 0:
                chunks.append(self._status_chunk())
        return chunks

    def host_opened(self) -> None:
        """Nothing happens until the host's START (the board sits idle after its reset)."""

    def take_disconnect_request(self) -> Fault | None:
        """The disconnect fault that just became due (once), clearing the request."""
        fault, self.disconnect_request = self.disconnect_request, None
        return fault

    def count_tx_overflow(self, frames: int) -> None:
        """Count frames the transmit buffer had no room for."""
        self.tx_overflow_frames += frames

    def status(self) -> Status:
        """The counters a STATUS frame carries."""
        return Status(
            samples_acquired=self.next_index,
            tx_overflow_frames=self.tx_overflow_frames,
            adc_overruns=0,
            rx_errors=self.rx_errors,
            state=DeviceState.STREAMING if self.streaming else DeviceState.IDLE,
            last_error=self.last_error,
        )

    def identity(self) -> Identity:
        """What the board answers to HELLO."""
        kind = SensorKind.RAW if self.config.mode == "raw" else SensorKind.ENVELOPE
        return Identity(
            protocol_version=PROTOCOL_VERSION,
            firmware_version=FIRMWARE_VERSION,
            board_id=BoardId.SIMULATOR,
            channel_count=self.channels,
            sample_rate_hz=self.sample_rate_hz,
            adc_bits=ADC_BITS,
            adc_vref_mv=ADC_VREF_MV,
            sensor_kinds=(int(kind),) * self.channels,
            board_name=BOARD_NAME,
            simulated=True,
            streaming=self.streaming,
        )

    def _handle(self, command: Command, seq: int, payload: bytes) -> list[bytes]:
        """Frames answering one well-formed command."""
        if command is Command.HELLO:
            return [self._frame(FrameType.IDENTITY, identity_payload(self.identity()))]
        if command is Command.PING:
            return [self._frame(FrameType.STATUS, status_payload(self.status()))]
        if command is Command.MARKER:
            return self._marker(seq, struct.unpack("<H", payload)[0])
        if command is Command.START:
            result = self._start()
        elif command is Command.STOP:
            self.streaming = False
            result = AckResult.OK
        else:
            result = self._configure(command, int.from_bytes(payload, "little"))
        if result is not AckResult.OK:
            self.last_error = result
        return [self._frame(FrameType.ACK, ack_payload(Ack(command, seq, result)))]

    def _configure(self, command: Command, value: int) -> AckResult:
        """SET_RATE or SET_CHANNELS: refused while streaming, out of range or over budget."""
        is_rate = command is Command.SET_RATE
        low, high = RATE_RANGE_HZ if is_rate else CHANNEL_RANGE
        rate = value if is_rate else self.sample_rate_hz
        channels = self.channels if is_rate else value
        if self.streaming:
            return AckResult.BUSY
        if not low <= value <= high:
            return AckResult.BAD_ARGUMENT
        if not is_rate and self.config.replay is not None and value != REPLAY_CHANNELS:
            return AckResult.UNSUPPORTED
        if not adc_budget_allows(channels, rate):
            return AckResult.EXCEEDS_ADC
        self.sample_rate_hz, self.channels = rate, channels
        return AckResult.OK

    def _start(self) -> AckResult:
        """Begin a new stream at sample index 0 (refused if one is running)."""
        if self.streaming:
            return AckResult.BUSY
        self.stream_number += 1
        self.next_index = 0
        self.streaming = True
        self.source = self._new_source()
        return AckResult.OK

    def _new_source(self) -> SampleSource:
        """The replay file, or synthetic EMG with a fresh participant, for a new stream."""
        config = self.config
        if config.replay is not None:
            return config.replay
        return synthetic_emg(
            config, config.mode, self.sample_rate_hz, self.channels, self.stream_number
        )

    def _marker(self, seq: int, code: int) -> list[bytes]:
        """ACK, then the echo at the next sample index; the participant may react."""
        if self.streaming and isinstance(self.source, EmgSource):
            self.source.participant.on_marker(code, self.next_index / self.sample_rate_hz)
        echo = MarkerEcho(self.next_index, code, MarkerSource.HOST)
        return [
            self._frame(FrameType.ACK, ack_payload(Ack(Command.MARKER, seq, AckResult.OK))),
            self._frame(FrameType.MARKER, marker_payload(echo)),
        ]

    def _samples_until_event(self) -> int:
        """Samples until the next STATUS or fault boundary; 0 (recorded) when a disconnect
        fault or the end of a non-looping replay happens now."""
        limit = self.sample_rate_hz - self.next_index % self.sample_rate_hz
        for number, fault in enumerate(self.faults):
            if fault.kind != "disconnect" or number in self._fired_disconnects:
                continue
            start, _ = fault.index_window(self.sample_rate_hz)
            if start == self.next_index:
                self._fired_disconnects.add(number)
                self.disconnect_request = fault
                return 0
            if start > self.next_index:
                limit = min(limit, start - self.next_index)
        replay = self.config.replay
        if replay is not None and replay.end == "stop":
            remaining = replay.row_count - self.next_index
            if remaining <= 0:
                self.streaming = False
                return 0
            limit = min(limit, remaining)
        return limit

    def _sample_chunks(self, n_samples: int) -> list[OutChunk]:
        """Encoded SAMPLES frames for the next samples, after level, drop and corrupt faults."""
        assert self.source is not None
        counts = self.source.block(self.next_index, n_samples)[:, : self.channels]
        apply_level_faults(
            counts, self.next_index, self.sample_rate_hz, self.faults, self.config.mode
        )
        frame_bytes = OVERHEAD_BYTES + 2 * self.channels
        chunks = []
        for start, stop in kept_runs(self.next_index, n_samples, self.sample_rate_hz, self.faults):
            data = bytearray(encode_samples_block(self.next_index + start, counts[start:stop]))
            corrupt_frames(
                data,
                self.next_index + start,
                frame_bytes,
                self.sample_rate_hz,
                self.faults,
                self.config.seed,
            )
            chunks.append(OutChunk(bytes(data), frame_bytes, droppable=True))
        return chunks

    def _frame(self, frame_type: FrameType, payload: bytes) -> bytes:
        """A non-sample device frame with the next device frame sequence number."""
        data = encode_frame(frame_type, self._frame_seq, payload)
        self._frame_seq = (self._frame_seq + 1) & 0xFFFF
        return data

    def _status_chunk(self) -> OutChunk:
        """A STATUS heartbeat, droppable like the samples around it."""
        data = self._frame(FrameType.STATUS, status_payload(self.status()))
        return OutChunk(data, len(data), droppable=True)
