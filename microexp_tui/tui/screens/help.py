"""Help: what the current screen is for, and every key it and the app accept."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

GENERAL = (
    "Every action has a key (shown in the footer) and an entry in the command palette "
    "(ctrl+p). The signal comes from the board in background threads; this screen only "
    "reads it, so the program never freezes while recording. Data are saved about every "
    "second; a lost board reconnects by itself and the gap is recorded."
)


GENERIC_ACTIONS = frozenset(
    {"app.focus_next", "app.focus_previous", "screen.copy_text", "command_palette"}
)
"""Textual's own keys on every screen: listed last in the help, left out of the palette."""


def operator_keys(screen: Screen[object], *, generic: bool = True) -> list[ActiveBinding]:
    """Keys active on `screen`: its own, then the app's, then Textual's generic ones (if asked).

    One entry per description; a widget's own keys (a table's cursor keys) are left out.
    """
    rank = {screen: 0, screen.app: 1}
    chosen = [
        active
        for active in screen.active_bindings.values()
        if active.node in rank
        and active.binding.description
        and (generic or active.binding.action not in GENERIC_ACTIONS)
    ]
    chosen.sort(key=lambda a: 2 if a.binding.action in GENERIC_ACTIONS else rank[a.node])
    seen: set[str] = set()
    unique = []
    for active in chosen:
        if active.binding.description not in seen:
            seen.add(active.binding.description)
            unique.append(active)
    return unique


def key_description(binding: Binding) -> str:
    """The longer description of a key (its tooltip) when the footer shows a short one."""
    return binding.tooltip or binding.description


def bindings_text(screen: Screen[object]) -> Text:
    """Keys active on `screen` (its own, then the app's), one per line."""
    text = Text()
    for active in operator_keys(screen):
        shown = screen.app.get_key_display(active.binding)
        text.append(f"{shown:>12}  ", style="bold cyan")
        text.append(f"{key_description(active.binding)}\n")
    return text


class HelpScreen(ModalScreen[None]):
    """Keys and purpose of the screen it was opened from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q,f1,question_mark", "close", "Close help")
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
            yield Static("[b]esc[/b]/[b]enter[/b] close", classes="dialog-hint")

    def action_close(self) -> None:
        """Close help."""
        self.dismiss(None)
