"""Running a stimulus protocol on the sample clock, with pause, resume and resume-from-block.

The run yields the markers to send as its clock passes block onsets and offsets. Pausing
mid-stimulus ends that stimulus (offset marker) and resuming restarts it from its onset,
so every stored onset has its offset and no stimulus is half-shown. A pause and a resume are
markers themselves (0x0600, 0x0601), at the sample index where they happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from microexp_tui.domain.markers import MARKER_PAUSE, MARKER_RESUME, MARKER_STIMULUS_OFFSET
from microexp_tui.study.protocols import (
    Block,
    Protocol,
    ScheduledMarker,
    TimedBlock,
    block_markers,
    timeline,
)


@dataclass(frozen=True)
class RunStatus:
    """What the recording screen shows about the protocol at one moment."""

    block_number: int
    """1-based number of the current block within the whole protocol."""
    blocks_total: int
    block: Block | None
    phase: str
    """`ready`, `show`, `isi` (between blocks), `paused` or `done`."""
    remaining_s: float
    progress: float


class ProtocolRun:
    """A protocol's time line played on the sample clock from `start_block`."""

    def __init__(self, protocol: Protocol, rate_hz: float, start_block: int = 0) -> None:
        """Lay out the blocks; nothing runs until `start`."""
        self.protocol = protocol
        self.rate_hz = rate_hz
        self.all_blocks: list[TimedBlock] = timeline(protocol)
        self.start_block = min(max(0, start_block), len(self.all_blocks))
        self.items = self.all_blocks[self.start_block :]
        self.position = 0
        self.elapsed_s = 0.0
        self.running = False
        self.started = False
        self.start_index: int | None = None
        self._last_index = 0
        self._onset_sent = False
        self._offset_sent = False

    @property
    def blocks_total(self) -> int:
        """Blocks in the whole protocol (repetitions included)."""
        return len(self.all_blocks)

    @property
    def blocks_done(self) -> int:
        """Blocks fully presented, counting those skipped by a resume."""
        return self.start_block + self.position

    @property
    def done(self) -> bool:
        """Whether every block has been presented."""
        return self.position >= len(self.items)

    def start(self, now_index: int) -> list[ScheduledMarker]:
        """Start the first block now; returns its onset markers."""
        self.started, self.running = True, True
        self.start_index = now_index
        self._last_index = now_index
        return self._advance(0.0)

    def tick(self, now_index: int) -> list[ScheduledMarker]:
        """Advance the clock to `now_index`; returns markers that fell due."""
        if not self.running:
            self._last_index = now_index
            return []
        delta_s = max(0, now_index - self._last_index) / self.rate_hz
        self._last_index = now_index
        return self._advance(delta_s)

    def pause(self, now_index: int) -> list[ScheduledMarker]:
        """Stop the clock (a pause marker); a stimulus or calibration block on screen is ended
        (offset) and will restart on resume."""
        out = self.tick(now_index)
        if not self.running or self.done:
            return out
        self.running = False
        block = self.items[self.position].block
        if self._onset_sent and self.elapsed_s < block.duration_s:
            if block.kind in ("stimulus", "calibration") and not self._offset_sent:
                out.append(ScheduledMarker(0.0, MARKER_STIMULUS_OFFSET, f"{block.kind} offset"))
            self.elapsed_s, self._onset_sent, self._offset_sent = 0.0, False, False
        out.append(ScheduledMarker(0.0, MARKER_PAUSE, "pause"))
        return out

    def resume(self, now_index: int) -> list[ScheduledMarker]:
        """Restart the clock (a resume marker); an interrupted block starts again from its
        onset."""
        if self.running or not self.started or self.done:
            return []
        self.running = True
        self._last_index = now_index
        return [ScheduledMarker(0.0, MARKER_RESUME, "resume"), *self._advance(0.0)]

    def _advance(self, delta_s: float) -> list[ScheduledMarker]:
        """Move the clock forward by `delta_s`, collecting markers of every block passed."""
        out: list[ScheduledMarker] = []
        while not self.done:
            item = self.items[self.position]
            if not self._onset_sent:
                out += [m for m in block_markers(item.block) if m.onset_s == 0.0]
                self._onset_sent = True
            reached_s = self.elapsed_s + delta_s
            if not self._offset_sent and reached_s >= item.block.duration_s:
                out += [m for m in block_markers(item.block) if m.onset_s > 0.0]
                self._offset_sent = True
            if reached_s < item.length_s:
                self.elapsed_s = reached_s
                break
            delta_s = reached_s - item.length_s
            self.position += 1
            self.elapsed_s, self._onset_sent, self._offset_sent = 0.0, False, False
        if self.done:
            self.running = False
        return out

    def status(self) -> RunStatus:
        """Current block, phase, countdown and overall progress."""
        total_s = sum(item.length_s for item in self.all_blocks) or 1.0
        done_s = sum(item.length_s for item in self.all_blocks[: self.blocks_done])
        if self.done:
            return RunStatus(self.blocks_total, self.blocks_total, None, "done", 0.0, 1.0)
        item = self.items[self.position]
        progress = (done_s + self.elapsed_s) / total_s
        if not self.started:
            phase = "ready"
        elif not self.running:
            phase = "paused"
        else:
            phase = "show" if self.elapsed_s < item.block.duration_s else "isi"
        show_left_s = item.block.duration_s - self.elapsed_s
        remaining_s = show_left_s if show_left_s > 0 else item.length_s - self.elapsed_s
        return RunStatus(
            self.blocks_done + 1, self.blocks_total, item.block, phase, remaining_s, progress
        )
