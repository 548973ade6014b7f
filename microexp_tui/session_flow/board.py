"""Choosing and connecting a board: known boards (Mega first), the simulated board, then other
serial ports; the board kind (the microexp firmware, or the article's legacy sketch).

Listing opens no port: a port is opened only when the operator chose it (or gave it on the
command line), since opening a Mega resets it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.acquisition.sources import FramedSource, LegacySource, Source
from microexp_tui.device.legacy import LEGACY_BAUD
from microexp_tui.device.protocol import DEFAULT_BAUD, Identity
from microexp_tui.device.transport import PortInfo, list_serial_ports
from microexp_tui.simulator.process import SimulatorProcess, start_simulator_process

log = logging.getLogger(__name__)

SIMULATED_LABEL = "Simulated board"
BOARD_KINDS = {"framed": "microexp firmware", "legacy": "Legacy sketch (the article's)"}
"""What a board runs: the framed protocol (firmware/PROTOCOL.md), or the article's CSV sketch."""
OTHER_PORTS_GROUP = "other"


@dataclass(frozen=True)
class BoardChoice:
    """A board the operator can pick: a serial port, or the simulated board.

    `group` is "known" (a Mega's or a Mega clone's USB ids, or a port from the command line),
    "simulated", or "other" (any other serial port: listed with what the system says of it).
    """

    label: str
    port: str | None
    simulated: bool = False
    likely_mega: bool = False
    group: str = "known"


def short_port_label(port: PortInfo) -> str:
    """A port in a few words: its device and what it looks like."""
    if port.is_mega_2560:
        kind = "Arduino Mega 2560"
    elif port.is_likely_clone:
        kind = "USB-serial, maybe a Mega clone"
    else:
        kind = port.description if port.description not in ("", "n/a") else "serial port"
    return f"{port.device}: {kind}"


def board_choices(
    extra_port: str | None = None, ports: Sequence[PortInfo] | None = None
) -> list[BoardChoice]:
    """A port from the command line and known boards (Mega first), the simulated board, then
    other serial ports; `ports` defaults to this machine's (listed without opening them)."""
    found = list_serial_ports() if ports is None else list(ports)
    choices = []
    if extra_port:
        choices.append(BoardChoice(f"{extra_port} (from the command line)", extra_port))
    others = []
    for port in found:
        if port.device == extra_port:
            continue
        if port.known_board:
            choices.append(BoardChoice(short_port_label(port), port.device, False, True))
        else:
            label = f"{port.device}: {port.system_says}"
            others.append(BoardChoice(label, port.device, group=OTHER_PORTS_GROUP))
    choices.append(BoardChoice(SIMULATED_LABEL, None, simulated=True, group="simulated"))
    return choices + others


def preferred_choice(choices: Sequence[BoardChoice]) -> BoardChoice:
    """The default pick: a given port, else the first known board, else the simulated board."""
    for choice in choices:
        if choice.port is not None and (choice.likely_mega or "command line" in choice.label):
            return choice
    return next((choice for choice in choices if choice.simulated), choices[-1])


def connects_by_itself(choice: BoardChoice) -> bool:
    """Whether the app may open this choice without the operator asking: the simulated board
    or a port given on the command line, never a detected port (opening a Mega resets it)."""
    return choice.simulated or "command line" in choice.label


def legacy_simulator_args(sim_args: Sequence[str]) -> list[str]:
    """Simulator options for the article's sketch: `--legacy`, without a rate (the sketch's
    rate is its loop's)."""
    args: list[str] = []
    skip = False
    for arg in sim_args:
        if skip:
            skip = False
        elif arg == "--rate-hz":
            skip = True
        elif not arg.startswith("--rate-hz="):
            args.append(arg)
    return [*args, "--legacy"]


class ConnectedBoard:
    """A chosen board: starts the simulator if needed and reads the board's identity.

    `sample_rate_hz` and `channels` are the operator's wish (None: the board's default); every
    source opened on this board applies them, since a board resets when its port closes.
    """

    def __init__(
        self,
        choice: BoardChoice,
        sim_args: Sequence[str] = (),
        baud: int | None = None,
        kind: str = "framed",
    ) -> None:
        """Remember the choice and the board kind (`BOARD_KINDS`); `connect` does the slow
        work. `baud` defaults to the kind's (500000 framed, 9600 for the legacy sketch)."""
        self.choice = choice
        self.kind = kind
        self.sim_args = legacy_simulator_args(sim_args) if self.legacy else list(sim_args)
        self.baud = baud or (LEGACY_BAUD if self.legacy else DEFAULT_BAUD)
        self.identity: Identity | None = None
        self.sample_rate_hz: int | None = None
        self.channels: int | None = None
        self._simulator: SimulatorProcess | None = None

    @property
    def legacy(self) -> bool:
        """Whether the board runs the article's legacy sketch (no commands, no settings)."""
        return self.kind == "legacy"

    @property
    def port(self) -> str:
        """The serial port (the simulator's pty once it runs)."""
        if self._simulator is not None:
            return self._simulator.port
        return self.choice.port or ""

    def connect(self) -> Identity:
        """Start the simulator when chosen, then handshake once to learn the identity (slow)."""
        if self.choice.simulated and self._simulator is None:
            self._simulator = start_simulator_process(self.sim_args)
        source = self.source()
        try:
            self.identity = source.open()
        finally:
            source.close()
        return self.identity

    def configure(self, sample_rate_hz: int | None, channels: int | None) -> Identity:
        """Wish for this rate and channel count and reconnect to apply them (slow).

        A refusal (a DeviceError saying why) keeps the previous wish and identity.
        """
        previous = self.sample_rate_hz, self.channels
        self.sample_rate_hz, self.channels = sample_rate_hz, channels
        try:
            return self.connect()
        except BaseException:
            self.sample_rate_hz, self.channels = previous
            raise

    def source(self) -> Source:
        """A fresh source for the recorder on this board's port, with the wished settings."""
        if self.legacy:
            return LegacySource(self.port, self.baud, simulated=self.choice.simulated)
        return FramedSource(self.port, self.baud, self.sample_rate_hz, self.channels)

    def close(self) -> None:
        """Stop the simulator if this board started one (never raises)."""
        if self._simulator is not None:
            try:
                self._simulator.stop()
            except OSError as err:
                log.warning("stopping the simulator: %s", err)
            self._simulator = None
