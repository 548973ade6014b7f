"""Stateful decoders that turn received bytes into indexed sample blocks, markers and counters.

They wrap the pure functions of `codec` (framed protocol) and `legacy` (the article's CSV
sketch) so the acquisition reader has one interface for both kinds of board.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from microexp_tui.device import codec, legacy, legacy_clock
from microexp_tui.device.protocol import Ack, FrameType, MarkerEcho, Status


@dataclass
class StreamCounters:
    """Link-quality counters of one recording, summed over reconnections."""

    frames: int = 0
    crc_errors: int = 0
    malformed: int = 0
    garbage_bytes: int = 0
    sequence_gaps: int = 0
    lost_samples: int = 0
    discarded_runs: int = 0
    device_tx_overflows: int = 0
    device_adc_overruns: int = 0
    legacy_bad_lines: int = 0
    clock_resyncs: int = 0
    """Jumps of the board's clock that the elapsed host time cannot explain (corruption):
    the stream was placed by host time from there on instead of inventing the loss."""
    out_of_range: int = 0
    """Values in checksum-valid frames above what the board's declared ADC can produce
    (2**adc_bits - 1): stored as missing, the recording goes on."""

    def as_dict(self) -> dict[str, int]:
        """Counters by name, for storage and JSON output."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class SampleBlock:
    """Consecutive sample sets at absolute session indices, with the host receive time.

    `out_of_range` is None, or a (samples, channels) mask of values the board's ADC cannot
    produce: those are clipped to its full scale in `counts` (for the filters) and stored as
    missing (`stored_values`).
    """

    first_index: int
    counts: npt.NDArray[np.uint16]
    receive_time_s: float
    out_of_range: npt.NDArray[np.bool_] | None = None

    def stored_values(self) -> npt.NDArray[np.uint16]:
        """The counts as the store takes them: a masked array when some values are missing."""
        if self.out_of_range is None:
            return self.counts
        return np.ma.MaskedArray(self.counts, mask=self.out_of_range)

    @property
    def stop_index(self) -> int:
        """Index one past the last sample set of the block."""
        return self.first_index + int(self.counts.shape[0])


StreamItem = SampleBlock | MarkerEcho | Status | Ack


class FramedStream:
    """Decoder of the framed protocol for one board connection (indices offset into the session)."""

    def __init__(
        self,
        channels: int,
        sample_rate_hz: int,
        counters: StreamCounters,
        index_offset: int = 0,
        adc_bits: int = 15,
        started_at_s: float | None = None,
    ) -> None:
        """Start decoding a fresh connection whose sample 0 is session index `index_offset`.

        Values above 2**adc_bits - 1 are counted as out of range and stored as missing;
        `started_at_s` is the receive clock's time before START was sent, the reference
        against which sequence jumps are checked from the first run on (`clock_rule`).
        """
        self.channels = channels
        self.sample_rate_hz = sample_rate_hz
        self.counters = counters
        self.index_offset = index_offset
        self.max_count = (1 << adc_bits) - 1
        self._decoder = codec.DecoderState()
        self._tracker = codec.TrackerState(
            offset_s=math.inf if started_at_s is None else started_at_s
        )
        self._device_tx_overflows = 0
        self._device_adc_overruns = 0

    @property
    def next_index(self) -> int:
        """Session index expected for the next sample set."""
        board_next = self._tracker.next_index or 0
        return self.index_offset + board_next

    def feed(self, data: bytes, receive_time_s: float) -> list[StreamItem]:
        """Decode bytes, update counters and return what they carried, in stream order."""
        self._decoder, result = codec.decode(self._decoder, data, self.channels)
        counters = self.counters
        counters.frames += result.frames
        counters.crc_errors += result.crc_errors
        counters.malformed += result.malformed
        counters.garbage_bytes += result.garbage_bytes
        items: list[StreamItem] = []
        for item in result.items:
            if isinstance(item, codec.SampleRun):
                block = self._index(item, receive_time_s)
                if block is not None:
                    items.append(block)
                continue
            parsed = codec.parse_frame(item)
            if isinstance(parsed, MarkerEcho):
                parsed = MarkerEcho(
                    parsed.sample_index + self.index_offset, parsed.code, parsed.source
                )
            elif isinstance(parsed, Status):
                self._note_status(parsed)
            if parsed is not None and item.frame_type != FrameType.IDENTITY:
                items.append(parsed)  # type: ignore[arg-type]
        return items

    def _index(self, run: codec.SampleRun, receive_time_s: float) -> SampleBlock | None:
        """Absolute session indices for a run, counting gaps and discarded stale runs."""
        self._tracker, indexed = codec.index_run(
            self._tracker, run, receive_time_s, self.sample_rate_hz
        )
        if indexed is None:
            self.counters.discarded_runs += 1
            return None
        self.counters.clock_resyncs += indexed.resynced
        if indexed.lost_before > 0:
            self.counters.sequence_gaps += 1
            self.counters.lost_samples += indexed.lost_before
        counts, out_of_range = self._checked_values(indexed.counts)
        first_index = indexed.first_index + self.index_offset
        return SampleBlock(first_index, counts, receive_time_s, out_of_range)

    def _checked_values(
        self, counts: npt.NDArray[np.uint16]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.bool_] | None]:
        """Counts clipped to the ADC's full scale, and the mask of those that were above it."""
        if int(counts.max(initial=0)) <= self.max_count:
            return counts, None
        out_of_range = counts > self.max_count
        self.counters.out_of_range += int(out_of_range.sum())
        return np.minimum(counts, self.max_count).astype(np.uint16), out_of_range

    def _note_status(self, status: Status) -> None:
        """Fold the board's cumulative overflow counters into the session counters."""
        self.counters.device_tx_overflows += max(
            0, status.tx_overflow_frames - self._device_tx_overflows
        )
        self.counters.device_adc_overruns += max(0, status.adc_overruns - self._device_adc_overruns)
        self._device_tx_overflows = status.tx_overflow_frames
        self._device_adc_overruns = status.adc_overruns


class LegacyStream:
    """Decoder of the article's `millis,v1..v8` text lines, with the board's millis as the clock.

    No checksum and no sequence number: a line that does not parse is counted and skipped;
    `legacy_clock` turns each good line's millis into its sample index, so lines lost on the
    way show as gaps (`sequence_gaps`, `lost_samples`) and a millis jump the host time cannot
    explain as a resync (`clock_resyncs`).
    """

    def __init__(
        self, channels: int, counters: StreamCounters, index_offset: int, period_ms: float
    ) -> None:
        """Start a fresh connection whose first line is session index `index_offset`.

        `period_ms` is the sketch's sample period as measured so far.
        """
        self.channels = channels
        self.counters = counters
        self.index_offset = index_offset
        self._state = legacy.LegacyState()
        self.clock = legacy_clock.ClockState(period_ms=period_ms)

    @property
    def next_index(self) -> int:
        """Session index expected for the next line."""
        return self.index_offset + self.clock.next_index

    def feed(self, data: bytes, receive_time_s: float) -> list[StreamItem]:
        """Decode text lines into sample blocks split at gaps; bad lines are counted and skipped."""
        self._state, result = legacy.decode_legacy(self._state, data, self.channels)
        self.counters.legacy_bad_lines += result.bad_lines
        if result.millis.size == 0:
            return []
        self.counters.frames += int(result.millis.size)
        self.clock, placed = legacy_clock.place_lines(self.clock, result.millis, receive_time_s)
        self.counters.sequence_gaps += placed.gaps
        self.counters.lost_samples += placed.lost_samples
        self.counters.clock_resyncs += placed.resyncs
        indices = placed.indices + self.index_offset
        breaks = np.flatnonzero(np.diff(indices) != 1) + 1
        return [
            SampleBlock(int(indices[start]), result.counts[start:stop], receive_time_s)
            for start, stop in zip(
                [0, *breaks.tolist()], [*breaks.tolist(), len(indices)], strict=True
            )
        ]
