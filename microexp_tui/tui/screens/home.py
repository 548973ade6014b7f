"""Home: sessions and participants, searchable; open, resume or start a session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from microexp_tui.domain.sessions import Participant, ProtocolProgress, SessionRecord
from microexp_tui.errors import MicroexpError
from microexp_tui.session_flow.reuse import ReusableSetup
from microexp_tui.tui.screens.base import FlowScreen
from microexp_tui.tui.widgets.wording import counted, minutes_seconds

SESSION_COLUMNS = (  # 78 cells with the padding: the width of an 80-column terminal
    ("#", 3),
    ("Code", 8),
    ("Status", 13),
    ("Started UTC", 16),
    ("m:ss", 5),
    ("Protocol", 9),
    ("Done", 5),
    ("Sim", 3),
)
PROTOCOL_COLUMN = 5
"""The sessions column that takes any width beyond 80 columns (protocol names are long)."""
MAX_PROTOCOL_WIDTH = 30


def session_column_widths(table_width: int) -> list[int]:
    """Column widths for a table `table_width` cells wide: the protocol gets what is spare."""
    widths = [width for _, width in SESSION_COLUMNS]
    used = sum(widths) + 2 * len(widths)
    spare = max(0, table_width - used - 2)  # the vertical scrollbar
    widths[PROTOCOL_COLUMN] = min(MAX_PROTOCOL_WIDTH, widths[PROTOCOL_COLUMN] + spare)
    return widths


PARTICIPANT_COLUMNS = (("Code", 10), ("Born", 5), ("Sex", 11), ("Hand", 12), ("Sessions", 8))


@dataclass(frozen=True)
class HomeData:
    """Everything Home lists, read in one worker."""

    sessions: list[SessionRecord]
    participants: list[Participant]
    progress: dict[int, ProtocolProgress]
    database: str


class HomeLoaded(Message):
    """The worker read the lists."""

    def __init__(self, data: HomeData) -> None:
        """Carry the data."""
        super().__init__()
        self.data = data


def display_path(path: Path) -> str:
    """A path as short as it can be told: relative to here, or to the home folder."""
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def progress_text(progress: ProtocolProgress | None) -> str:
    """`5/8` blocks done, or `-` when the session ran no protocol."""
    if progress is None:
        return "-"
    return f"{progress.blocks_done}/{progress.blocks_total}"


def can_resume(record: SessionRecord, progress: ProtocolProgress | None) -> bool:
    """An interrupted or aborted session whose protocol did not finish can be resumed."""
    return (
        record.status in ("interrupted", "aborted")
        and progress is not None
        and progress.blocks_done < progress.blocks_total
    )


def participant_code_text(code: str, test: bool) -> str:
    """A participant's code, flagged when it is a test participant (left out of exports)."""
    return f"{code} (test)" if test else code


def session_cells(record: SessionRecord, progress: ProtocolProgress | None) -> tuple[str, ...]:
    """One row of the sessions table."""
    started = record.started_at[:16].replace("T", " ")
    return (
        str(record.id),
        participant_code_text(record.participant_code, record.test_participant),
        record.status + (" ↻" if can_resume(record, progress) else ""),
        started,
        minutes_seconds(record.duration_s),
        record.protocol or "-",
        progress_text(progress),
        "SIM" if record.simulated else "",
    )


def participant_cells(participant: Participant, sessions: int) -> tuple[str, ...]:
    """One row of the participants table (never identifying fields)."""
    return (
        participant_code_text(participant.code, participant.test),
        str(participant.birth_year or "-"),
        participant.sex or "-",
        participant.handedness or "-",
        str(sessions),
    )


class HomeScreen(FlowScreen):
    """Lists sessions and participants; the starting point of every visit."""

    TITLE = "Sessions"
    HELP = (
        "Sessions of this database with their status (completed, interrupted, aborted; ↻ "
        "marks an interrupted protocol that can be resumed) and the participants. Type in the "
        "search box to filter both lists. Start with a new participant, or pick one and start "
        "a new session for them."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_participant", "New participant"),
        Binding("p", "new_session", "New session"),
        Binding("o", "open_session", "Open"),
        Binding("r", "resume", "Resume"),
        Binding("s", "settings", "Settings"),
        Binding("slash", "search", "Search", show=False),
        Binding("f5", "refresh", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        """Start empty; the worker fills the tables."""
        super().__init__()
        self.data: HomeData | None = None

    def compose(self) -> ComposeResult:
        """Search box, the two tables, a status line."""
        yield Header()
        yield Input(placeholder="Search code, status, protocol, date  (/)", id="search")
        yield Label("Sessions", classes="section-title")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Label("Participants", classes="section-title")
        yield DataTable(id="participants", cursor_type="row", zebra_stripes=True)
        yield Static("", id="home-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Set the columns, then load."""
        sessions = self.query_one("#sessions", DataTable)
        self.session_columns_width = 0
        self.set_session_columns(sessions)
        participants = self.query_one("#participants", DataTable)
        for label, width in PARTICIPANT_COLUMNS:
            participants.add_column(label, width=width)
        self.load()
        sessions.focus()

    def set_session_columns(self, sessions: DataTable[str]) -> None:
        """(Re)make the sessions table's columns for its width (rows are refilled after)."""
        self.session_columns_width = sessions.size.width
        sessions.clear(columns=True)
        widths = session_column_widths(sessions.size.width)
        for (label, _), width in zip(SESSION_COLUMNS, widths, strict=True):
            sessions.add_column(label, width=width)

    def on_resize(self) -> None:
        """Give a wider sessions table's spare width to the protocol names."""
        sessions = self.query_one("#sessions", DataTable)
        if sessions.size.width != self.session_columns_width:
            self.set_session_columns(sessions)
            self.fill()

    def on_screen_resume(self) -> None:
        """Reload whenever Home comes back to the front."""
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="read_the_session_list")
    def load(self) -> None:
        """Read sessions, participants and protocol progress (worker thread)."""
        store = self.mx.store
        data = HomeData(
            store.list_sessions()[::-1],
            store.list_participants()[::-1],
            store.protocol_progress(),
            display_path(store.path),
        )
        self.post_message(HomeLoaded(data))

    def on_home_loaded(self, message: HomeLoaded) -> None:
        """Show the lists."""
        self.data = message.data
        self.fill()

    @on(Input.Changed, "#search")
    def search_changed(self) -> None:
        """Filter as the operator types."""
        self.fill()

    def fill(self) -> None:
        """(Re)fill both tables with the rows matching the search text."""
        if self.data is None:
            return
        needle = self.query_one("#search", Input).value.strip().lower()
        sessions = self.query_one("#sessions", DataTable)
        sessions.clear()
        for record in self.data.sessions:
            cells = session_cells(record, self.data.progress.get(record.id))
            if not needle or needle in " ".join(cells).lower():
                sessions.add_row(*cells, key=str(record.id))
        counts: dict[int, int] = {}
        for record in self.data.sessions:
            counts[record.participant_id] = counts.get(record.participant_id, 0) + 1
        participants = self.query_one("#participants", DataTable)
        participants.clear()
        for participant in self.data.participants:
            cells = participant_cells(participant, counts.get(participant.id, 0))
            if not needle or needle in " ".join(cells).lower():
                participants.add_row(*cells, key=str(participant.id))
        self.query_one("#home-status", Static).update(
            f"{counted(len(self.data.sessions), 'session')} · "
            f"{counted(len(self.data.participants), 'participant')} · {self.data.database}"
        )

    def _selected(self, table_id: str) -> str | None:
        """Row key under the cursor of a table, or None."""
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return key.value

    def _selected_session(self) -> SessionRecord | None:
        """The session under the cursor."""
        key = self._selected("#sessions")
        if key is None or self.data is None:
            return None
        return next((s for s in self.data.sessions if str(s.id) == key), None)

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#search", Input).focus()

    def action_refresh(self) -> None:
        """Reload the lists."""
        self.load()

    def action_new_participant(self) -> None:
        """Set up a new participant, then their first session."""
        from microexp_tui.tui.screens.participant import ParticipantScreen

        self.mx.new_visit()
        self.app.push_screen(ParticipantScreen())

    def action_new_session(self) -> None:
        """A new session for the participant under the cursor (consent is asked again)."""
        from microexp_tui.tui.screens.participant import ParticipantScreen

        key = self._selected("#participants")
        if key is None or self.data is None:
            self.notify("Pick a participant in the lower list first.", severity="warning")
            return
        participant = next(p for p in self.data.participants if str(p.id) == key)
        self.mx.new_visit().participant = participant
        self.app.push_screen(ParticipantScreen(existing=participant))

    def action_open_session(self) -> None:
        """Review the session under the cursor."""
        from microexp_tui.tui.screens.review import ReviewScreen

        record = self._selected_session()
        if record is None:
            self.notify("Pick a session first.", severity="warning")
            return
        self.app.push_screen(ReviewScreen(record.id))

    @on(DataTable.RowSelected, "#sessions")
    def session_chosen(self) -> None:
        """Enter on a session opens it."""
        self.action_open_session()

    @on(DataTable.RowSelected, "#participants")
    def participant_chosen(self) -> None:
        """Enter on a participant starts a new session for them."""
        self.action_new_session()

    def action_resume(self) -> None:
        """Resume the interrupted protocol of the session under the cursor in a new session."""
        from microexp_tui.tui.screens.participant import ParticipantScreen

        record = self._selected_session()
        progress = self.data.progress.get(record.id) if record and self.data else None
        if record is None or self.data is None or not can_resume(record, progress):
            self.notify(
                "Only an interrupted or aborted session whose protocol did not finish can be "
                "resumed (marked ↻).",
                severity="warning",
            )
            return
        assert progress is not None
        participant = next(p for p in self.data.participants if p.id == record.participant_id)
        visit = self.mx.new_visit()
        visit.participant = participant
        visit.resumed_from = record.id
        visit.start_block = progress.blocks_done
        visit.montage = list(record.channels)
        visit.protocol_hint = record.protocol
        visit.reuse = self.reusable(record.id, len(record.channels))
        if visit.reuse is not None and visit.reuse.consent is not None:
            from microexp_tui.tui.screens.device import DeviceScreen

            visit.consent_confirmed_at = visit.reuse.consent.made_at
            self.notify(f"{visit.reuse.consent.describe().capitalize()}.")
            self.app.push_screen(DeviceScreen())
            return
        self.app.push_screen(ParticipantScreen(existing=participant, resuming=record.id))

    def reusable(self, session_id: int, channel_count: int) -> ReusableSetup | None:
        """The interrupted session's recent setup steps (None when the consent text cannot be
        read: then everything is asked again)."""
        from microexp_tui.session_flow.reuse import reusable_setup
        from microexp_tui.study.consent import load_consent

        try:
            consent = load_consent()
        except MicroexpError:
            return None
        self.mx.visit.consent = consent
        max_age_min = self.mx.settings.checks.reuse_max_age_min
        return reusable_setup(self.mx.store, session_id, consent.sha256, channel_count, max_age_min)

    def action_settings(self) -> None:
        """Open the settings."""
        from microexp_tui.tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())
