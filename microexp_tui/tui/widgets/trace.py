"""Live traces: one block-sparkline strip per channel, from the ring buffer's newest window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from microexp_tui.tui.widgets.wording import GRADE_MARKS

BLOCKS = " ▁▂▃▄▅▆▇█"
LABEL_WIDTH = 15
VALUE_WIDTH = 6
MIN_SCALE_COUNTS = 150.0


@dataclass(frozen=True)
class TraceChannel:
    """How one channel is labelled: number, short muscle name, grade (mark and colour)."""

    label: str
    grade: str = ""


def bucket_peaks(values: npt.NDArray[np.floating], columns: int) -> npt.NDArray[np.float64]:
    """(columns, channels) peaks of the newest samples split into `columns` equal buckets."""
    channels = values.shape[1] if values.ndim == 2 else 0
    if columns <= 0 or values.shape[0] == 0:
        return np.zeros((max(columns, 0), channels))
    per = max(1, values.shape[0] // columns)
    used = min(values.shape[0], per * columns)
    peaks = values[-used:].reshape(used // per, per, channels).max(axis=1)
    if peaks.shape[0] < columns:
        pad = np.zeros((columns - peaks.shape[0], channels))
        peaks = np.vstack([pad, peaks])
    return peaks.astype(np.float64)


def strip_rows(levels: npt.NDArray[np.float64], rows: int) -> list[str]:
    """Block-character rows (top first) drawing values in 0..1 over `rows` text rows."""
    eighths = np.clip(np.round(levels * rows * 8), 0, rows * 8).astype(int)
    out = []
    for row in range(rows - 1, -1, -1):
        cell = np.clip(eighths - row * 8, 0, 8)
        out.append("".join(BLOCKS[value] for value in cell))
    return out


STYLES = {
    "cyan": Style(color="cyan"),
    "red": Style(color="red"),
    "bold": Style(bold=True),
    "dim": Style(dim=True),
    "green": Style(color="green", bold=True),
    "amber": Style(color="yellow", bold=True),
    "grade-red": Style(color="red", bold=True),
}
GRADE_STYLES = {"green": "green", "amber": "amber", "red": "grade-red", "": "dim"}


def styled_runs(strip: str, bad: npt.NDArray[np.bool_]) -> list[Segment]:
    """A strip as a few segments: cyan, red where an artifact was flagged."""
    if not strip:
        return []
    edges = np.flatnonzero(np.diff(bad[: len(strip)].astype(np.int8))) + 1
    segments = []
    start = 0
    for stop in [*edges.tolist(), len(strip)]:
        style = STYLES["red"] if bad[start] else STYLES["cyan"]
        segments.append(Segment(strip[start:stop], style))
        start = stop
    return segments


class TraceView(Widget):
    """Per-channel envelope strips with labels, grade dots and the newest value (line API)."""

    DEFAULT_CSS = """
    TraceView { height: 1fr; width: 1fr; min-height: 4; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """Start empty; `show` feeds it."""
        super().__init__(id=id)
        self._values = np.zeros((0, 1), dtype=np.float32)
        self._flags = np.zeros((0, 1), dtype=np.uint8)
        self._channels: list[TraceChannel] = []
        self._scales: npt.NDArray[np.float64] | None = None
        self._unit = ""
        self._lines: list[Strip] | None = None

    def show(
        self,
        values: npt.NDArray[np.floating],
        flags: npt.NDArray[np.uint8],
        channels: Sequence[TraceChannel],
        scales: npt.NDArray[np.float64] | None = None,
        unit: str = "",
    ) -> None:
        """Replace the data (samples, channels) and redraw; `scales` fixes each full scale."""
        self._values, self._flags = values, flags
        self._channels, self._scales, self._unit = list(channels), scales, unit
        self._lines = None
        self.refresh()

    def on_resize(self) -> None:
        """Lay the strips out again for the new size."""
        self._lines = None

    def _rows_per_channel(self) -> int:
        """Text rows each channel gets (1-3) at the current height."""
        count = max(1, len(self._channels))
        return int(min(3, max(1, self.size.height // count)))

    def render_line(self, y: int) -> Strip:
        """One text row (all rows are built together once per update)."""
        if self._lines is None:
            self._lines = self._build_lines()
        return self._lines[y] if y < len(self._lines) else Strip.blank(self.size.width)

    def _build_lines(self) -> list[Strip]:
        """Every row of every channel."""
        if not self._channels:
            return [Strip([Segment("waiting for data…", STYLES["dim"])])]
        columns = max(1, self.size.width - LABEL_WIDTH - VALUE_WIDTH)
        rows = self._rows_per_channel()
        peaks = bucket_peaks(self._values, columns)
        flagged = bucket_peaks(self._flags.astype(np.float32), columns) > 0
        latest = self._values[-1] if self._values.shape[0] else np.zeros(len(self._channels))
        lines: list[Strip] = []
        for index, channel in enumerate(self._channels):
            lines.extend(self._channel_rows(index, channel, peaks, flagged, latest, rows))
        return lines

    def _channel_rows(
        self,
        index: int,
        channel: TraceChannel,
        peaks: npt.NDArray[np.float64],
        flagged: npt.NDArray[np.bool_],
        latest: npt.NDArray,
        rows: int,
    ) -> list[Strip]:
        """The strips of one channel: strip rows above, label and value on the bottom row."""
        column = peaks[:, index] if index < peaks.shape[1] else np.zeros(peaks.shape[0])
        strips = strip_rows(column / self._scale(index, column), rows)
        bad = flagged[:, index] if index < flagged.shape[1] else np.zeros(len(column), bool)
        out = []
        for row, strip in enumerate(strips):
            if row == rows - 1:
                dot = GRADE_MARKS.get(channel.grade, "○")
                name = f"{channel.label:<{LABEL_WIDTH - 3}.{LABEL_WIDTH - 3}} "
                head = [
                    Segment(f"{dot} ", STYLES[GRADE_STYLES.get(channel.grade, "dim")]),
                    Segment(name),
                ]
                value = float(latest[index]) if index < len(latest) else 0.0
                tail = [Segment(self._format_value(value), STYLES["bold"])]
            else:
                head, tail = [Segment(" " * LABEL_WIDTH)], []
            segments = [*head, *styled_runs(strip, bad), *tail]
            out.append(Strip(segments).adjust_cell_length(self.size.width))
        return out

    def _scale(self, index: int, column: npt.NDArray[np.float64]) -> float:
        """Full scale of a channel: the fixed one, else auto with a floor."""
        if self._scales is not None and index < len(self._scales):
            return float(max(self._scales[index], 1e-6))
        return max(MIN_SCALE_COUNTS, float(column.max()) * 1.1 if column.size else 0.0)

    def _format_value(self, value: float) -> str:
        """The newest value, right-aligned in the value column."""
        if self._unit == "%":
            return f"{value * 100:>5.0f}%"
        return f"{value:>{VALUE_WIDTH}.0f}"
