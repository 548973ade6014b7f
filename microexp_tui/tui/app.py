"""The operator app: one `make_app` factory for the CLI and the tests, screens for each step.

The app owns the session database connection used by the screens' workers and the
current `Visit`; screens move the visit forward and call `goto_*` to hand over.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from microexp_tui.errors import MicroexpError
from microexp_tui.paths import database_path_in
from microexp_tui.session_flow.visit import Visit
from microexp_tui.settings import Settings, load_settings
from microexp_tui.store.sessions import SessionStore

log = logging.getLogger(__name__)

DEFAULT_SIM_ARGS: tuple[str, ...] = ("--mode", "envelope", "--seed", "1")
AUDIT_WARNING_S = 3600.0
"""How long the broken-audit-log notification stays on screen (until dismissed by a click)."""


class MicroexpApp(App[None]):
    """Keyboard-first operator app for facial-EMG sessions."""

    CSS_PATH = "app.tcss"
    TITLE = "microexp"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit_app", "Quit", priority=True),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
    ]

    def __init__(
        self,
        store: SessionStore,
        settings: Settings,
        *,
        settings_path: Path | None = None,
        port: str | None = None,
        simulate: bool = False,
        sim_args: Sequence[str] = DEFAULT_SIM_ARGS,
        log_path: Path | None = None,
    ) -> None:
        """Keep the store, settings and board preferences; screens are made on mount."""
        super().__init__()
        self.store = store
        self.settings = settings
        self.settings_path = settings_path
        self.port = port
        self.simulate = simulate
        self.sim_args = list(sim_args)
        self.log_path = log_path
        self.visit = Visit()

    def on_mount(self) -> None:
        """Open on the Home screen."""
        from microexp_tui.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.warn_about_audit_log()

    def warn_about_audit_log(self) -> None:
        """A lasting error notification when opening the database found its audit log broken."""
        from microexp_tui.store.audit_checkpoint import broken_message

        broken = self.store.audit_break
        if broken is not None:
            self.notify(
                broken_message(self.store.path, broken),
                title="Audit log broken",
                severity="error",
                timeout=AUDIT_WARNING_S,
            )

    # -- errors and help ---------------------------------------------------------------------

    def show_error(self, error: BaseException, doing: str = "") -> None:
        """An error dialog: our errors say what to do; anything else is logged and explained."""
        from microexp_tui.tui.screens.dialogs import ErrorDialog

        if isinstance(error, MicroexpError):
            title, message = "Could not " + (doing or "complete the action"), str(error)
        else:
            log.error("unexpected error while %s", doing or "working", exc_info=error)
            where = f" Details are in {self.log_path}." if self.log_path else ""
            title = "Unexpected error"
            message = (
                f"{type(error).__name__}: {error}. Data recorded so far is saved.{where} "
                "Please report this; you can carry on or restart the program."
            )
        self.push_screen(ErrorDialog(title.replace("_", " "), message))

    def action_help(self) -> None:
        """Help for the current screen."""
        from microexp_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key of the current screen and the app, one entry each; Textual's generic
        commands (theme, screenshot, its own quit without asking) are left out."""
        from microexp_tui.tui.screens.help import key_description, operator_keys

        for active in operator_keys(screen, generic=False):
            if not active.enabled:
                continue
            binding = active.binding
            key = self.get_key_display(binding)
            run = partial(self.run_action, binding.action, active.node)
            yield SystemCommand(key_description(binding), f"key: {key}", run)

    # -- leaving -----------------------------------------------------------------------------

    def action_quit_app(self) -> None:
        """Quit; while recording, ask first (the session is then marked aborted)."""
        from microexp_tui.tui.screens.dialogs import ConfirmDialog

        live = self.visit.live
        if live is None or not live.running:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        question = "A recording is running. Stop it (the session is saved as aborted) and quit?"
        self.push_screen(ConfirmDialog(question, "Stop and quit", "Keep recording"), answered)

    def shutdown(self) -> None:
        """Stop a live recording (aborted) and any simulator; safe to call more than once."""
        visit = self.visit
        if visit.live is not None:
            try:
                visit.live.stop("aborted")
            except MicroexpError as err:
                log.error("stopping the recording at exit: %s", err)
            except AssertionError:  # never started: nothing to stop
                visit.live.board.close()
        if visit.board is not None:
            visit.board.close()
        self.store.close()

    # -- moving through the flow ---------------------------------------------------------------

    def new_visit(self) -> Visit:
        """Forget the previous visit (its board is closed) and start a fresh one."""
        if self.visit.board is not None and (
            self.visit.live is None or not self.visit.live.running
        ):
            self.visit.board.close()
        self.visit = Visit()
        return self.visit

    def goto_home(self) -> None:
        """Back to the Home screen (the bottom of the stack), refreshed."""
        from microexp_tui.tui.screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()
        if not isinstance(self.screen, HomeScreen):
            self.switch_screen(HomeScreen())

    def goto_device(self) -> None:
        """Device screen: choose and connect the board, edit the montage, pick the protocol."""
        from microexp_tui.tui.screens.device import DeviceScreen

        self.switch_screen(DeviceScreen())

    def goto_electrode_check(self) -> None:
        """Electrode check on the live session."""
        from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen

        live, reuse = self.visit.live, self.visit.reuse
        assert live is not None
        if reuse is not None and reuse.checks_step is not None:
            screen = ElectrodeCheckScreen(live, self.visit.montage, reuse.checks, reuse.checks_step)
        else:
            screen = ElectrodeCheckScreen(live, self.visit.montage)
        self.switch_screen(screen)

    def goto_calibration(self) -> None:
        """Calibration on the live session."""
        from microexp_tui.tui.screens.calibration import CalibrationScreen

        live, reuse = self.visit.live, self.visit.reuse
        assert live is not None
        checks = self.visit.checks
        if reuse is not None and reuse.calibration_step is not None:
            step = reuse.calibration_step
            screen = CalibrationScreen(live, self.visit.montage, checks, reuse.calibration, step)
        else:
            screen = CalibrationScreen(live, self.visit.montage, checks)
        self.switch_screen(screen)

    def goto_recording(self) -> None:
        """The stimulus protocol on the live session."""
        self.switch_screen(self.recording_screen())

    def recording_screen(self) -> Screen[None]:
        """A Recording screen for the visit's live session."""
        from microexp_tui.tui.screens.recording import RecordingScreen

        visit = self.visit
        assert visit.live is not None and visit.protocol is not None
        return RecordingScreen(
            visit.live,
            visit.montage,
            visit.protocol,
            visit.start_block,
            visit.calibration,
            visit.checks,
        )

    def goto_review(self, session_id: int) -> None:
        """Review of a finished session (replaces the current flow screen)."""
        from microexp_tui.tui.screens.review import ReviewScreen

        self.switch_screen(ReviewScreen(session_id))


def database_path(settings: Settings, db_path: Path | None) -> Path:
    """The --db path, else `sessions.sqlite` in the settings' data directory (created 0700)."""
    return db_path if db_path is not None else database_path_in(settings.database_dir())


def make_app(
    db_path: Path | None = None,
    *,
    settings: Settings | None = None,
    settings_path: Path | None = None,
    port: str | None = None,
    simulate: bool = False,
    sim_args: Sequence[str] = DEFAULT_SIM_ARGS,
    log_path: Path | None = None,
) -> MicroexpApp:
    """The app on a database (default: the embedded one); raises StoreError if unusable."""
    settings = settings or load_settings(settings_path)
    store = SessionStore.open(database_path(settings, db_path))
    return MicroexpApp(
        store,
        settings,
        settings_path=settings_path,
        port=port,
        simulate=simulate,
        sim_args=sim_args,
        log_path=log_path,
    )
