"""What every screen shares: a help text, worker failures as dialogs, the app's typed handle."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen
from textual.widgets import Static
from textual.worker import WorkerState

if TYPE_CHECKING:
    from microexp_tui.tui.app import MicroexpApp


class FlowScreen(Screen[None]):
    """A screen of the session flow; failed workers become error dialogs, never tracebacks."""

    HELP: ClassVar[str] = ""
    """What this screen is for and how to use it (shown by the help screen)."""

    @property
    def mx(self) -> MicroexpApp:
        """The app, typed."""
        from microexp_tui.tui.app import MicroexpApp

        return cast(MicroexpApp, self.app)

    def on_worker_state_changed(self, event: object) -> None:
        """Show a dialog for a worker that failed (its group names what it was doing)."""
        from textual.worker import Worker

        worker = cast(Worker[object], getattr(event, "worker", None))
        if worker is not None and worker.state == WorkerState.ERROR and worker.error is not None:
            self.worker_failed(worker.group, worker.error)

    def worker_failed(self, group: str, error: BaseException) -> None:
        """Default reaction to a failed worker: an error dialog."""
        self.mx.show_error(error, doing=group)


def set_error(widget: Static, message: str | None) -> None:
    """Show an inline error under a field (hidden when there is none)."""
    widget.update(message or "")
    widget.set_class(bool(message), "-shown")
