"""The seed article's acquisition sketch as a simulated board: `millis,v1,...,v8` text lines.

The sketch (`loop()`: read `millis()`, print it, read and print each channel after a comma,
`Serial.println()`, `delay(50)`) takes no commands and prints from the moment it runs; the
Mega resets it whenever a host opens the port, so each host's first line has millis near 0.
A loop lasts `delay(50)` plus about 1 ms of conversions and printing: `SKETCH_PERIOD_MS`.

Lines can be lost (`drop_probability` per line, `drop` faults), garbled (`corrupt` faults:
the bytes of a line turn to noise, so it no longer parses) or carry a millis that jumps
(`millis_jump` faults); the millis printed may jitter by up to `jitter_ms`. The pty server
decides when lines are due and moves the bytes, as for the framed board.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from microexp_tui.device.legacy import LEGACY_MAX_MILLIS
from microexp_tui.simulator.board import EmgSource, OutChunk, synthetic_emg
from microexp_tui.simulator.faults import Fault, apply_level_faults, kept_runs
from microexp_tui.simulator.replay import ReplayData
from microexp_tui.simulator.scenario import Scenario

SKETCH_PERIOD_MS = 51.0
"""delay(50) plus ~1 ms for eight conversions and printing a line at 9600 baud's buffer."""
ENVELOPE_RATE_HZ = 1000
"""The sensors' analog envelopes are rendered at 1 kHz; each line reads them at its millis."""
CORRUPT_EVERY_S = 0.05
"""In a `corrupt` fault, a line every 50 ms is garbled (every line of the article's sketch)."""
_TAG_LINE = 31
_TAG_NOISE = 32


@dataclass(frozen=True)
class SketchConfig:
    """What the simulated sketch prints, how fast, and what goes wrong on the way."""

    period_ms: float = SKETCH_PERIOD_MS
    channels: int = 8
    seed: int = 0
    drop_probability: float = 0.0
    jitter_ms: float = 0.0
    """The millis a line prints lags its nominal time by up to this much (uniform)."""
    millis_start: int = 0
    """millis() of the first line after a reset (e.g. near 2**32 to cross its wrap)."""
    mains_hz: float = 50.0
    motion_artifacts_per_min: float = 1.0
    scenario: Scenario = field(default_factory=Scenario)
    faults: tuple[Fault, ...] = ()
    replay: ReplayData | None = None


def line_fate(config: SketchConfig, stream: int, index: int) -> tuple[bool, float]:
    """Whether loop `index` of a stream loses its line, and how late its millis reads (ms)."""
    rng = np.random.default_rng([config.seed, _TAG_LINE, stream, index])
    dropped, lateness = rng.random(2)
    return bool(dropped < config.drop_probability), float(lateness * config.jitter_ms)


class LegacySketch:
    """The sketch's loop, one line per call of `produce`'s count (survives host reconnections)."""

    def __init__(self, config: SketchConfig) -> None:
        """Power up waiting for a host (the Mega runs the sketch once the port opens)."""
        self.config = config
        self.faults = config.scenario.faults + config.faults
        self.sample_rate_hz = 1000.0 / config.period_ms
        self.stream_number = 0
        self.disconnect_request: Fault | None = None
        self._fired_disconnects: set[int] = set()
        self._emg: EmgSource | None = None
        self._emg_next_ms = 0
        self.tx_overflow_lines = 0
        self.reset()

    def reset(self) -> None:
        """The host closed the port: nothing is printed until one opens it again."""
        self.streaming = False
        self.next_index = 0

    def host_opened(self) -> None:
        """A host opened the port: the Mega resets and the sketch starts again at millis 0."""
        if self.streaming:
            return
        self.stream_number += 1
        self.next_index = 0
        self.streaming = True
        if self.config.replay is None:
            self._emg = self._new_emg()
            self._emg_next_ms = 0

    def receive(self, data: bytes) -> list[OutChunk]:
        """The sketch reads nothing the host sends."""
        return []

    def take_disconnect_request(self) -> Fault | None:
        """The disconnect fault that just became due (once), clearing the request."""
        fault, self.disconnect_request = self.disconnect_request, None
        return fault

    def count_tx_overflow(self, lines: int) -> None:
        """Count lines the transmit buffer had no room for."""
        self.tx_overflow_lines += lines

    def produce(self, n_loops: int) -> list[OutChunk]:
        """The lines of the next `n_loops` loops that reach the wire, one chunk per line."""
        chunks: list[OutChunk] = []
        for _ in range(n_loops):
            if not self._keeps_running():
                break
            line = self._line(self.next_index)
            self.next_index += 1
            if line is not None:
                chunks.append(OutChunk(line, len(line), droppable=True))
        return chunks

    def _keeps_running(self) -> bool:
        """False when a disconnect fault or the end of a non-looping replay comes now."""
        if not self.streaming or self.disconnect_request is not None:
            return False
        for number, fault in enumerate(self.faults):
            due = fault.kind == "disconnect" and number not in self._fired_disconnects
            if due and fault.index_window(self.sample_rate_hz)[0] == self.next_index:
                self._fired_disconnects.add(number)
                self.disconnect_request = fault
                return False
        replay = self.config.replay
        if replay is not None and replay.end == "stop" and self.next_index >= replay.row_count:
            self.streaming = False
        return self.streaming

    def _line(self, index: int) -> bytes | None:
        """The bytes loop `index` prints, or None when the line is lost."""
        dropped, lateness_ms = line_fate(self.config, self.stream_number, index)
        time_ms = index * self.config.period_ms + lateness_ms
        counts = self._counts(index, time_ms)
        if dropped or not kept_runs(index, 1, self.sample_rate_hz, self.faults):
            return None
        millis = (self.config.millis_start + int(time_ms) + self._jump_ms(index)) % (
            LEGACY_MAX_MILLIS + 1
        )
        line = b",".join([b"%d" % millis, *(b"%d" % value for value in counts.tolist())])
        return self._garbled(index, line) + b"\r\n"

    def _counts(self, index: int, time_ms: float) -> npt.NDArray[np.uint16]:
        """The channel values loop `index` reads (a replayed row, or the envelopes now)."""
        replay = self.config.replay
        if replay is not None:
            counts = replay.block(index, 1)[:, : self.config.channels].copy()
        else:
            counts = self._envelopes_at(int(time_ms))
        apply_level_faults(counts, index, self.sample_rate_hz, self.faults, "envelope")
        return counts[0]

    def _envelopes_at(self, time_ms: int) -> npt.NDArray[np.uint16]:
        """(1, channels) envelope counts at `time_ms`, rendering the 1 kHz signal up to it."""
        assert self._emg is not None
        first = self._emg_next_ms
        block = self._emg.block(first, max(1, time_ms + 1 - first))
        self._emg_next_ms = first + block.shape[0]
        return block[-1:].copy()

    def _new_emg(self) -> EmgSource:
        """Synthetic envelopes with a fresh participant for a new stream."""
        return synthetic_emg(
            self.config, "envelope", ENVELOPE_RATE_HZ, self.config.channels, self.stream_number
        )

    def _jump_ms(self, index: int) -> int:
        """How far ahead `millis_jump` faults that have begun put the printed millis."""
        return sum(
            round(fault.duration_s * 1000)
            for fault in self.faults
            if fault.kind == "millis_jump" and index >= fault.index_window(self.sample_rate_hz)[0]
        )

    def _garbled(self, index: int, line: bytes) -> bytes:
        """The line, or line noise in its place when a `corrupt` fault hits it."""
        every = max(1, round(CORRUPT_EVERY_S * self.sample_rate_hz))
        for fault in self.faults:
            start, stop = fault.index_window(self.sample_rate_hz)
            if fault.kind == "corrupt" and start <= index < stop and (index - start) % every == 0:
                rng = np.random.default_rng([self.config.seed, _TAG_NOISE, index])
                return rng.integers(0x80, 0x100, size=len(line), dtype=np.uint8).tobytes()
        return line
