"""Review panel of a session's detected expressions: counts by kind and emotion, then a table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import AuScore, Expression, ValidationReport
from microexp_tui.study.montages import short_muscle
from microexp_tui.tui.widgets.wording import counted

MAX_ROWS = 200
"""Rows shown in the table (the CLI and the export list every expression)."""
COLUMNS = ("Onset s", "ms", "Kind", "AUs", "Emotion", "Conf", "Muscles")
TABLE_CHROME_CELLS = 4
"""Cells around a table's columns: its margins and the vertical scrollbar."""


def column_widths(rows: Sequence[tuple[str, ...]], table_width: int) -> list[int]:
    """Widths that fit `table_width`: each column as wide as its widest cell, and the
    muscles (last, the widest) get what is left, wrapping onto a second line if need be."""
    widths = [
        max([len(header)] + [len(row[n]) for row in rows]) for n, header in enumerate(COLUMNS)
    ]
    fixed = sum(widths[:-1]) + 2 * len(COLUMNS) + TABLE_CHROME_CELLS
    if table_width > 0:
        widths[-1] = max(len(COLUMNS[-1]), min(widths[-1], table_width - fixed))
    return widths


def counts_text(expressions: Sequence[Expression], guided: frozenset[int] = frozenset()) -> Text:
    """One line: how many micro- and macro-expressions, and of which emotion."""
    if not expressions:
        return Text(
            "No expressions detected. `microexp microexpressions SESSION` analyses a session "
            "recorded before detection existed.",
            style="dim",
        )
    micro = sum(1 for x in expressions if x.kind == "micro")
    text = Text()
    text.append(f"{micro} micro", style="bold")
    text.append(f" · {len(expressions) - micro} macro · ")
    emotions = Counter(x.emotion or "unclear" for x in expressions)
    text.append(", ".join(f"{name} {count}" for name, count in sorted(emotions.items())))
    if guided:
        text.append(f" · {len(guided)} answering a guided contraction", style="dim")
    return text


def row_cells(
    expression: Expression, channels: Sequence[ChannelSpec], guided: bool = False
) -> tuple[str, ...]:
    """Table cells of one expression (muscles last: the widest column)."""
    muscles = ", ".join(
        short_muscle(channels[c].muscle if c < len(channels) else None, 10)
        for c in expression.channels
    )
    units = "+".join(unit.removeprefix("AU") for unit in expression.action_units)
    return (
        f"{expression.onset_s:.2f}",
        f"{expression.duration_ms:.0f}",
        ("µ micro" if expression.kind == "micro" else "macro") + (" guided" if guided else ""),
        f"AU{units}" if units else "-",
        expression.emotion or "?",
        f"{expression.confidence:.2f}",
        muscles,
    )


def _score_text(score: AuScore) -> str:
    """`F1 0.93 (P 0.90, R 0.96), 12 of 13, +15 ms` for one AU or overall."""

    def number(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    latency = score.median_onset_latency_ms
    lag = "" if latency is None else f", {latency:+.0f} ms"
    return (
        f"F1 {number(score.f1)} (P {number(score.precision)}, R {number(score.recall)}), "
        f"{score.matched} of {score.au_events} AU events{lag}"
    )


def validation_text(report: ValidationReport | None) -> Text:
    """The latest AU validation in a few lines, or how to make one."""
    if report is None:
        return Text(
            "AU validation: none. `microexp microexpressions SESSION --aus FILE.csv` scores "
            "the expressions against an OpenFace / py-feat file.",
            style="dim",
        )
    text = Text()
    text.append("AU validation ", style="bold")
    text.append(f"({report.alignment}, ±{report.tolerance_ms:.0f} ms): ")
    text.append(_score_text(report.overall), style="bold")
    confirmed = counted(len(report.confirmed_micro), "micro-expression")
    text.append(f"\n{confirmed} confirmed by EMG and video")
    for score in report.per_action_unit:
        text.append(f"\n  {score.action_unit:<5} {_score_text(score)}")
    if report.ignored_action_units:
        text.append(f"\n  not scored: {', '.join(report.ignored_action_units)}", style="dim")
    return text


class ExpressionsPanel(Vertical):
    """Title, counts and a table of the session's expressions (onset order)."""

    DEFAULT_CSS = """
    ExpressionsPanel {
        height: auto;
    }
    ExpressionsPanel #expression-counts {
        margin: 0 1;
        height: auto;
    }
    ExpressionsPanel #expression-validation {
        margin: 0 1;
        height: auto;
    }
    ExpressionsPanel DataTable {
        height: auto;
        max-height: 10;
        margin: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        """Title, counts line, table."""
        yield Label("Micro-expressions", classes="section-title")
        yield Static("", id="expression-counts")
        yield DataTable(id="expression-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="expression-validation")

    def __init__(self) -> None:
        """Nothing shown until `show`."""
        super().__init__()
        self._rows: list[tuple[str, ...]] = []
        self._width = 0

    def on_resize(self) -> None:
        """Fit the columns to the new width."""
        if self.size.width != self._width:
            self._fill()

    def show(
        self,
        expressions: Sequence[Expression],
        channels: Sequence[ChannelSpec],
        validation: ValidationReport | None = None,
        guided: frozenset[int] = frozenset(),
    ) -> None:
        """Fill the counts, the table and the AU validation summary."""
        self.query_one("#expression-counts", Static).update(counts_text(expressions, guided))
        self._rows = [
            row_cells(expression, channels, position in guided)
            for position, expression in enumerate(expressions[:MAX_ROWS])
        ]
        self._fill()
        self.query_one("#expression-validation", Static).update(validation_text(validation))

    def _fill(self) -> None:
        """(Re)build the table at the panel's width; long muscle lists wrap, never vanish."""
        self._width = self.size.width
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for header, width in zip(COLUMNS, column_widths(self._rows, self._width), strict=True):
            table.add_column(header, width=width)
        for row in self._rows:
            table.add_row(*row, height=None)
        table.display = bool(self._rows)
