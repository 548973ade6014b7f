"""Small live panels: instruction with countdown, probability bars, counters, link banner."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, ProgressBar, Static

from microexp_tui.session_flow.predictions import LABELS, LivePrediction

BAR_WIDTH = 12
COUNTER_NAMES = (
    ("frames", "frames"),
    ("crc_errors", "CRC"),
    ("sequence_gaps", "gaps"),
    ("lost_samples", "lost"),
    ("queue_overflows", "overflow"),
    ("reconnects", "reconn."),
)


class LiveStatic(Static):
    """A fixed-size Static for values refreshed on every tick: unchanged content costs nothing."""

    def __init__(self, content: str = "", *, id: str | None = None) -> None:
        """Start with `content`."""
        super().__init__(content, id=id)
        self._shown: object = content

    def show(self, content: str | Text) -> None:
        """Repaint only when the content changed, and never re-run the layout."""
        key = content.markup if isinstance(content, Text) else content
        if key != self._shown:
            self._shown = key
            self.update(content, layout=False)


class InstructionPanel(Horizontal):
    """What the participant should do now, large, with a countdown and overall progress."""

    DEFAULT_CSS = """
    InstructionPanel { height: 5; border: round $accent; padding: 0 1; }
    InstructionPanel Digits { width: 8; }
    InstructionPanel #instruction-kind { color: $text-muted; }
    InstructionPanel #instruction-text { text-style: bold; color: $text; height: 2; }
    InstructionPanel ProgressBar { width: 1fr; }
    InstructionPanel.-cue { border: heavy $warning; }
    InstructionPanel.-cue #instruction-text { background: $warning; color: $background; }
    """

    def compose(self) -> ComposeResult:
        """Countdown digits beside the instruction lines and the progress bar."""
        yield Digits("--", id="countdown")
        with Vertical():
            yield LiveStatic("", id="instruction-kind")
            yield LiveStatic("", id="instruction-text")
            yield ProgressBar(total=1.0, show_eta=False, id="instruction-progress")

    def on_mount(self) -> None:
        """Keep the parts at hand (this is called 20 times a second)."""
        self._countdown = self.query_one("#countdown", Digits)
        self._kind = self.query_one("#instruction-kind", LiveStatic)
        self._text = self.query_one("#instruction-text", LiveStatic)
        self._bar = self.query_one("#instruction-progress", ProgressBar)
        self._progress = -1.0

    def show(
        self, kind: str, text: str, remaining_s: float | None, progress: float, cue: bool = False
    ) -> None:
        """Update the parts that changed; a `cue` (a guided contraction asked of the
        participant, whatever the board) stands out in the warning colour."""
        self.set_class(cue, "-cue")
        countdown = "--" if remaining_s is None else f"{max(0.0, remaining_s):.0f}"
        if countdown != self._countdown.value:
            self._countdown.update(countdown)
        self._kind.show(kind)
        self._text.show(text.upper() if text else "")
        if abs(progress - self._progress) >= 0.002:
            self._progress = progress
            self._bar.update(progress=progress)


def probability_text(
    prediction: LivePrediction | None, model: str, problem: str | None = None
) -> Text:
    """Bars of the emotion probabilities, or why there are none."""
    text = Text()
    if prediction is None:
        if problem:
            text.append("model not loaded\n", style="bold yellow")
            text.append(problem[:160], style="dim")
        elif model and model != "none":
            text.append(f"{model}\nwaiting for the first window…", style="dim")
        else:
            text.append("model not loaded\n", style="bold yellow")
            text.append("(no model chosen: Settings,\nlive model)", style="dim")
        return text
    top = prediction.top
    for number, label in enumerate(LABELS):
        p = float(prediction.probabilities.get(label, 0.0))
        filled = round(p * BAR_WIDTH)
        if number:
            text.append("\n")
        style = "bold green" if label == top else ""
        text.append(f"{label:<8.8} ", style=style)
        text.append("█" * filled, style="green" if label == top else "cyan")
        text.append("░" * (BAR_WIDTH - filled), style="dim")
        text.append(f" {p:>4.0%}")
    return text


def counters_text(counters: Mapping[str, int], connected: bool) -> Text:
    """One line of data-quality counters, problems highlighted."""
    text = Text()
    text.append("● linked " if connected else "○ LOST ", style="green" if connected else "bold red")
    for key, label in COUNTER_NAMES:
        value = int(counters.get(key, 0))
        bad = key != "frames" and value > 0
        text.append(f"{label} {value}  ", style="bold yellow" if bad else "")
    return text


class LinkBanner(Static):
    """A full-width warning shown while the board is lost (hidden otherwise)."""

    DEFAULT_CSS = """
    LinkBanner { display: none; background: $error; color: $text; text-style: bold;
                 width: 100%; height: 1; content-align: center middle; }
    LinkBanner.-shown { display: block; }
    """

    def set_lost(self, lost: bool, detail: str = "") -> None:
        """Show or hide the banner (nothing to do when it is already so)."""
        if lost == self.has_class("-shown"):
            return
        self.set_class(lost, "-shown")
        if lost:
            self.update(f"BOARD LOST — reconnecting by itself; the gap is recorded. {detail}")
