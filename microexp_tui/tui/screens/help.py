"""Help: what the current screen is for, and every key it and the app accept."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

GENERAL = (
    "Every action has a key (shown in the footer) and an entry in the command palette "
    "(ctrl+p). The signal comes from the board in background threads; this screen only "
    "reads it, so the program never freezes while recording. Data are saved about every "
    "second; a lost board reconnects by itself and the gap is recorded."
)


def bindings_text(screen: Screen[object]) -> Text:
    """Keys active on `screen` (its own, then the app's), one per line."""
    text = Text()
    seen: set[str] = set()
    ordered = sorted(
        screen.active_bindings.values(),
        key=lambda active: 0 if active.node is screen else 1 if active.node is screen.app else 2,
    )
    for active in ordered:
        binding = active.binding
        if not binding.description or binding.description in seen:
            continue
        seen.add(binding.description)
        shown = screen.app.get_key_display(binding)
        text.append(f"{shown:>12}  ", style="bold cyan")
        text.append(f"{binding.description}\n")
    return text


class HelpScreen(ModalScreen[None]):
    """Keys and purpose of the screen it was opened from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,question_mark", "close", "Close help")
    ]

    def __init__(self, screen: Screen[object]) -> None:
        """Remember the screen to describe."""
        super().__init__(classes="dialog-screen")
        self.described = screen

    def compose(self) -> ComposeResult:
        """Title, purpose, keys."""
        purpose = getattr(self.described, "HELP", "") or ""
        with Vertical(classes="dialog help-dialog"):
            yield Label(f"Help: {self.described.title or 'microexp'}", classes="dialog-title")
            with VerticalScroll():
                yield Static(purpose, classes="help-purpose", markup=False)
                yield Static(bindings_text(self.described))
                yield Static(GENERAL, classes="help-general", markup=False)
            yield Static("[b]esc[/b] close", classes="dialog-hint")

    def action_close(self) -> None:
        """Close help."""
        self.dismiss(None)
