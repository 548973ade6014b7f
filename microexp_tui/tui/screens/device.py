"""Device: pick and connect the board, see its identity, edit the montage, pick the protocol."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from microexp_tui.acquisition.recorder import RecordingOptions
from microexp_tui.device.protocol import MAX_CHANNELS, MAX_RATE_HZ, MIN_RATE_HZ, Identity
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.sessions import SessionSetup, settings_json
from microexp_tui.inference.catalog import model_path_for
from microexp_tui.session_flow.board import (
    BOARD_KINDS,
    OTHER_PORTS_GROUP,
    BoardChoice,
    ConnectedBoard,
    board_choices,
    connects_by_itself,
    preferred_choice,
)
from microexp_tui.session_flow.live import LiveSession
from microexp_tui.session_flow.reuse import store_reused
from microexp_tui.study.montages import (
    DEFAULT_PRESET,
    available_presets,
    load_preset,
    montage_for_board,
    short_muscle,
)
from microexp_tui.study.protocols import (
    Protocol,
    available_protocols,
    for_session,
    load_protocol,
    protocol_duration_s,
)
from microexp_tui.tui.screens.base import FlowScreen

SENSOR_KIND_NAMES = ("envelope", "raw")
RATE_CHOICES_HZ = tuple(
    rate for rate in (250, 500, 1000, 2000) if MIN_RATE_HZ <= rate <= MAX_RATE_HZ
)
CHANNEL_CHOICES = tuple(range(1, MAX_CHANNELS + 1))
SETTINGS_GROUP = "change_the_board_settings"
CONNECT_GROUP = "connect_to_the_board"


class BoardsFound(Message):
    """The worker listed the boards."""

    def __init__(self, choices: list[BoardChoice]) -> None:
        """Carry the choices."""
        super().__init__()
        self.choices = choices


class BoardConnected(Message):
    """The worker connected a board and read its identity."""

    def __init__(self, board: ConnectedBoard, identity: Identity) -> None:
        """Carry the board and its identity."""
        super().__init__()
        self.board = board
        self.identity = identity


class SessionStarted(Message):
    """The recorder runs and the session exists."""

    def __init__(self, session_id: int) -> None:
        """Carry the session id."""
        super().__init__()
        self.session_id = session_id


def identity_text(identity: Identity | None, port: str, legacy: bool = False) -> Text:
    """The board's identity as a few lines (SIMULATED in bold): what answered the connect."""
    if identity is None:
        return Text("Not connected. Pick a board and press c.", style="dim")
    text = Text()
    if identity.simulated:
        text.append("SIMULATED BOARD\n", style="bold black on yellow")
    text.append(f"{identity.board_name}\n", style="bold")
    if legacy:
        text.append(f"answered: the article's sketch, {identity.channel_count} values per line\n")
    else:
        text.append(
            f"answered: framed identity, firmware {identity.firmware_version_text}, "
            f"protocol v{identity.protocol_version}\n"
        )
    text.append(f"{identity.channel_count} channels at {identity.sample_rate_hz} Hz, ")
    text.append(f"{identity.adc_bits}-bit ADC, {identity.adc_vref_mv} mV\n")
    text.append(f"port {port or '(simulator, starting)'}", style="dim")
    return text


class DeviceScreen(FlowScreen):
    """Board, montage and protocol; continue starts the recording session."""

    TITLE = "Board and montage"
    HELP = (
        "Known boards (Arduino Mega 2560 and its clones, by USB id) are listed first, then the "
        "simulated board (sessions from it are labelled SIMULATED), then other serial ports "
        "with what the system says of them. No port is opened until you connect (c): opening "
        "a Mega resets it. Kind says what the board runs: the microexp firmware, or the "
        "article's legacy sketch (text lines, no markers sent to it, rate measured). Connect "
        "reads the board's identity, or says what answered instead. The montage says which "
        "muscle each channel records: pick a preset "
        "or edit a channel. Rate and Ch change the board's sample rate and channel count (it "
        "reconnects; the board refuses combinations its ADC cannot sample). Continue creates "
        "the session and starts recording for the electrode check."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "connect", "Connect"),
        Binding("e", "edit_channel", "Edit channel"),
        Binding("ctrl+s", "continue", "Continue"),
        Binding("escape", "back", "Back"),
        Binding("f5", "rescan", "Rescan ports", show=False),
    ]

    def __init__(self, choices: list[BoardChoice] | None = None) -> None:
        """Look for boards, or offer exactly `choices` (then nothing connects by itself)."""
        super().__init__()
        self.fixed_choices = choices
        self.choices: list[BoardChoice] = []
        self.board: ConnectedBoard | None = None
        self.identity: Identity | None = None
        self.montage: list[ChannelSpec] = []
        self.protocol: Protocol | None = None
        self.starting = False
        self.applying = False
        self.listed: list[BoardChoice | None] = []
        """The board list's options in order: a choice, or None for a group heading."""

    def compose(self) -> ComposeResult:
        """Board list and identity on the left, montage on the right, protocol below."""
        settings = self.mx.settings
        presets = available_presets()
        preset = settings.default_montage if settings.default_montage in presets else DEFAULT_PRESET
        yield Header()
        with Horizontal(id="device-main"):
            with Vertical(id="device-left"):
                yield Label("Board", classes="section-title")
                yield OptionList(id="boards")
                with Horizontal(id="board-kind-row", classes="field-row"):
                    yield Label("Kind ", classes="field-label-tiny")
                    yield Select(
                        [(name, kind) for kind, name in BOARD_KINDS.items()],
                        value="framed",
                        id="board-kind",
                        allow_blank=False,
                        compact=True,
                    )
                with Horizontal(id="board-settings", classes="field-row"):
                    yield Label("Rate ", classes="field-label-tiny")
                    yield Select(
                        [(f"{rate} Hz", rate) for rate in RATE_CHOICES_HZ],
                        id="rate",
                        allow_blank=False,
                        compact=True,
                        disabled=True,
                    )
                    yield Label(" Ch ", classes="field-label-tiny")
                    yield Select(
                        [(str(count), count) for count in CHANNEL_CHOICES],
                        id="channels",
                        allow_blank=False,
                        compact=True,
                        disabled=True,
                    )
                yield Static(identity_text(None, ""), id="identity")
            with Vertical(id="device-right"):
                with Horizontal(classes="field-row"):
                    yield Label("Montage", classes="field-label-short")
                    yield Select(
                        [(name, name) for name in presets],
                        value=preset,
                        id="preset",
                        allow_blank=False,
                        compact=True,
                    )
                yield DataTable(id="montage", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="protocol-row", classes="field-row"):
            yield Label("Protocol", classes="field-label-short")
            yield Select(
                [(name, name) for name in available_protocols()],
                id="protocol",
                prompt="(choose)",
                compact=True,
            )
            yield Static("", id="protocol-info")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Columns, protocol default, then look for boards."""
        table = self.query_one("#montage", DataTable)
        table.add_columns("Ch", "Label", "Muscle", "Kind", "AUs")
        visit = self.mx.visit
        wanted = visit.protocol_hint or self.mx.settings.default_protocol
        select = self.query_one("#protocol", Select)
        if wanted in available_protocols():
            select.value = wanted
        elif Path(wanted).suffix == ".toml":
            select.set_options(
                [(name, name) for name in available_protocols()] + [(wanted, wanted)]
            )
            select.value = wanted
        if self.fixed_choices is not None:
            self.show_choices(self.fixed_choices)
        else:
            self.rescan()

    # -- boards ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="list_the_serial_ports")
    def rescan(self) -> None:
        """List ports and the simulated board (worker thread)."""
        self.post_message(BoardsFound(board_choices(self.mx.port)))

    def on_boards_found(self, message: BoardsFound) -> None:
        """Show the boards; connect straight away only to the simulated board or a port from
        the command line (opening a detected Mega would reset it: the operator chooses)."""
        self.show_choices(message.choices)
        preferred = self.highlighted_choice()
        if self.board is None and preferred is not None:
            if connects_by_itself(preferred):
                self.action_connect()
            else:
                self.query_one("#identity", Static).update(
                    Text(f"Found {preferred.label}. Press c to connect to it.")
                )

    def show_choices(self, choices: list[BoardChoice]) -> None:
        """List the boards (other serial ports under their own heading); highlight the likely
        one."""
        self.choices = choices
        self.listed = []
        options: list[Option] = []
        for choice in choices:
            if choice.group == OTHER_PORTS_GROUP and None not in self.listed:
                self.listed.append(None)
                options.append(Option("Other serial ports:", disabled=True))
            self.listed.append(choice)
            options.append(Option(choice.label))
        boards = self.query_one("#boards", OptionList)
        boards.clear_options()
        boards.add_options(options)
        if not choices:
            return
        simulated = next((choice for choice in choices if choice.simulated), choices[-1])
        preferred = simulated if self.mx.simulate else preferred_choice(self.choices)
        boards.highlighted = self.listed.index(preferred)

    def highlighted_choice(self) -> BoardChoice | None:
        """The board under the list's cursor (None on a heading or an empty list)."""
        index = self.query_one("#boards", OptionList).highlighted
        return self.listed[index] if index is not None and index < len(self.listed) else None

    def action_rescan(self) -> None:
        """Look for boards again."""
        self.rescan()

    @property
    def board_kind(self) -> str:
        """The chosen board kind (`BOARD_KINDS`)."""
        value = self.query_one("#board-kind", Select).value
        return value if isinstance(value, str) else "framed"

    def action_connect(self) -> None:
        """Connect the highlighted board as the chosen kind and read its identity."""
        choice = self.highlighted_choice()
        if choice is None:
            self.notify("Highlight a board to connect to.", severity="warning")
            return
        if self.board is not None:
            self.board.close()
        self.board, self.identity = None, None
        self.mx.visit.board, self.mx.visit.identity = None, None
        self.applying = False
        self.show_settings(None)
        kind = BOARD_KINDS[self.board_kind]
        self.query_one("#identity", Static).update(Text(f"Connecting to {choice.label} ({kind})…"))
        self.connect(ConnectedBoard(choice, self.mx.sim_args, kind=self.board_kind))

    @work(thread=True, exclusive=True, exit_on_error=False, group=CONNECT_GROUP)
    def connect(self, board: ConnectedBoard) -> None:
        """Start the simulator if chosen and handshake (worker thread)."""
        try:
            identity = board.connect()
        except BaseException:
            board.close()
            raise
        self.post_message(BoardConnected(board, identity))

    def on_board_connected(self, message: BoardConnected) -> None:
        """Show the identity and fit the montage to the board."""
        self.applying = False
        self.board, self.identity = message.board, message.identity
        self.show_settings(self.identity)
        self.mx.visit.board, self.mx.visit.identity = self.board, self.identity
        self.query_one("#identity", Static).update(
            identity_text(self.identity, self.board.port, self.board.legacy)
        )
        visit = self.mx.visit
        if visit.montage and len(visit.montage) == self.identity.channel_count:
            self.montage = list(visit.montage)
            self.fill_montage()
        else:
            self.apply_preset(str(self.query_one("#preset", Select).value))

    # -- rate and channels -------------------------------------------------------------------

    def show_settings(self, identity: Identity | None) -> None:
        """Prefill the rate and channel selects from the board (disabled while unconnected)."""
        rate = self.query_one("#rate", Select)
        channels = self.query_one("#channels", Select)
        if identity is not None:
            rates = sorted({*RATE_CHOICES_HZ, identity.sample_rate_hz})
            if len(rates) != len(RATE_CHOICES_HZ):  # a board default outside the usual steps
                rate.set_options([(f"{hz} Hz", hz) for hz in rates])
            rate.value = identity.sample_rate_hz
            channels.value = identity.channel_count
        legacy = self.board is not None and self.board.legacy  # the sketch takes no settings
        rate.disabled = channels.disabled = identity is None or legacy

    @on(Select.Changed, "#rate")
    @on(Select.Changed, "#channels")
    def settings_changed(self) -> None:
        """Reconnect with the chosen rate and channel count (unless they are the board's)."""
        if self.board is None or self.identity is None or self.applying:
            return
        rate = self.query_one("#rate", Select).value
        channels = self.query_one("#channels", Select).value
        if not isinstance(rate, int) or not isinstance(channels, int):
            return
        if (rate, channels) == (self.identity.sample_rate_hz, self.identity.channel_count):
            return
        self.applying = True
        self.query_one("#identity", Static).update(
            Text(f"Setting {channels} channels at {rate} Hz…")
        )
        self.apply_settings(self.board, rate, channels)

    @work(thread=True, exclusive=True, exit_on_error=False, group=SETTINGS_GROUP)
    def apply_settings(self, board: ConnectedBoard, rate_hz: int, channels: int) -> None:
        """Reconnect the board with a new rate and channel count (worker thread)."""
        self.post_message(BoardConnected(board, board.configure(rate_hz, channels)))

    # -- montage -----------------------------------------------------------------------------

    @on(Select.Changed, "#preset")
    def preset_changed(self, event: Select.Changed) -> None:
        """Apply the chosen preset."""
        if self.identity is not None:
            self.apply_preset(str(event.value))

    def apply_preset(self, name: str) -> None:
        """Fit a preset to the connected board's channels."""
        assert self.identity is not None
        self.montage = montage_for_board(load_preset(name), self.identity.channel_count)
        self.fill_montage()

    def fill_montage(self) -> None:
        """Show the montage; a kind that differs from what the board reports is marked."""
        table = self.query_one("#montage", DataTable)
        table.clear()
        board_kinds = self.identity.sensor_kinds if self.identity else ()
        for spec in self.montage:
            kind = Text(spec.sensor_kind)
            if spec.index < len(board_kinds):
                reported = SENSOR_KIND_NAMES[min(board_kinds[spec.index], 1)]
                if reported != spec.sensor_kind:
                    kind = Text(f"{spec.sensor_kind}≠{reported}", style="bold yellow")
            table.add_row(
                str(spec.index + 1),
                spec.label,
                short_muscle(spec.muscle),
                kind,
                ",".join(spec.action_units) or "-",
                key=str(spec.index),
            )

    def action_edit_channel(self) -> None:
        """Edit the channel under the cursor."""
        from microexp_tui.tui.screens.montage_dialog import ChannelDialog

        table = self.query_one("#montage", DataTable)
        if not self.montage:
            self.notify("Connect a board first.", severity="warning")
            return
        index = table.cursor_row

        def edited(spec: ChannelSpec | None) -> None:
            if spec is not None:
                self.montage[spec.index] = spec
                self.fill_montage()
                table.move_cursor(row=spec.index)

        self.app.push_screen(ChannelDialog(self.montage[index]), edited)

    @on(DataTable.RowSelected, "#montage")
    def channel_chosen(self) -> None:
        """Enter on a channel edits it."""
        self.action_edit_channel()

    # -- protocol ----------------------------------------------------------------------------

    @on(Select.Changed, "#protocol")
    def protocol_changed(self, event: Select.Changed) -> None:
        """Load and describe the chosen protocol (a malformed file is reported by name)."""
        info = self.query_one("#protocol-info", Static)
        self.protocol = None
        if not isinstance(event.value, str):
            info.update("")
            return
        try:
            self.protocol = load_protocol(event.value)
        except Exception as err:  # InputError names file, line and field
            info.update(Text("invalid: see the message", style="bold red"))
            self.mx.show_error(err, doing="load the protocol")
            return
        minutes = protocol_duration_s(self.protocol) / 60
        info.update(f"{len(self.protocol.blocks)} blocks, ≤{minutes:.1f} min")

    # -- leaving -----------------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to Home (the board is released)."""
        if self.board is not None:
            self.board.close()
            self.mx.visit.board = None
        self.mx.goto_home()

    def action_continue(self) -> None:
        """Create the session with this board, montage and protocol, and start recording."""
        visit = self.mx.visit
        if self.board is None or self.identity is None:
            self.notify("Connect a board first (c).", severity="warning")
            return
        if self.applying:
            self.notify("Wait until the board has its new settings.", severity="warning")
            return
        if self.protocol is None:
            self.notify("Choose a stimulus protocol first.", severity="warning")
            self.query_one("#protocol").focus()
            return
        if visit.participant is None or self.starting:
            return
        self.starting = True
        visit.montage, visit.protocol = list(self.montage), self.protocol
        visit.montage_preset = str(self.query_one("#preset", Select).value)
        settings = self.mx.settings
        options = RecordingOptions(
            participant_code=visit.participant.code,
            operator=settings.operator or None,
            mains_hz=settings.filters.mains_hz,
            extra_device={"montage_preset": visit.montage_preset},
        )
        model = model_path_for(settings.model)
        live = LiveSession(self.board, self.mx.store.path, options, self.montage, model)
        visit.live = live
        self.notify("Starting the recording…")
        self.start_session(live)

    @work(thread=True, exclusive=True, exit_on_error=False, group="start_the_session")
    def start_session(self, live: LiveSession) -> None:
        """Start the recorder and store the session's setup (worker thread)."""
        visit = self.mx.visit
        try:
            session_id = live.start()
        except BaseException:
            visit.live = None
            raise
        store = self.mx.store
        actor = self.mx.settings.operator or "operator"
        assert visit.protocol is not None and visit.consent is not None
        resumed = store.setup(visit.resumed_from) if visit.resumed_from is not None else None
        seed = resumed.protocol_seed if resumed else self.mx.settings.protocol_seed
        visit.protocol = for_session(visit.protocol, seed)  # a resumed order stays the same
        store.set_protocol(session_id, visit.protocol.name, actor)
        store.save_setup(
            SessionSetup(
                session_id=session_id,
                montage_preset=visit.montage_preset,
                protocol_path=str(visit.protocol.path) if visit.protocol.path else None,
                protocol_seed=visit.protocol.seed,
                consent_template=visit.consent.name,
                consent_sha256=visit.consent.sha256,
                consent_confirmed_at=visit.consent_confirmed_at,
                resumed_from_session_id=visit.resumed_from,
                start_block=visit.start_block,
                settings=settings_json(self.mx.settings.as_dict()),
            ),
            actor,
        )
        if visit.reuse is not None:
            store_reused(store, session_id, visit.reuse, actor)
            if visit.reuse.calibration is not None:
                live.set_calibration(visit.reuse.calibration)
        self.post_message(SessionStarted(session_id))

    def worker_failed(self, group: str, error: BaseException) -> None:
        """Let the operator try again after a failed start; a refused setting keeps the old;
        a failed connect says so where the identity would be."""
        self.starting = False
        if group == CONNECT_GROUP:
            self.board, self.identity = None, None
            self.show_settings(None)
            self.query_one("#identity", Static).update(
                Text(
                    f"Not connected: {error}\nPick a board or another kind and press c.",
                    style="bold red",
                )
            )
        if group == SETTINGS_GROUP:
            self.applying = False
            if self.board is not None and self.identity is not None:
                self.show_settings(self.identity)
                self.query_one("#identity", Static).update(
                    identity_text(self.identity, self.board.port, self.board.legacy)
                )
        super().worker_failed(group, error)

    def on_session_started(self, message: SessionStarted) -> None:
        """On to the electrode check."""
        self.mx.goto_electrode_check()
