"""Choosing and connecting a board: detected serial ports (Mega first) or the simulated board."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.acquisition.sources import FramedSource
from microexp_tui.device.protocol import DEFAULT_BAUD, Identity
from microexp_tui.device.transport import PortInfo, list_serial_ports
from microexp_tui.simulator.process import SimulatorProcess, start_simulator_process

log = logging.getLogger(__name__)

SIMULATED_LABEL = "Simulated board"


@dataclass(frozen=True)
class BoardChoice:
    """A board the operator can pick: a serial port, or the simulated board."""

    label: str
    port: str | None
    simulated: bool = False
    likely_mega: bool = False


def short_port_label(port: PortInfo) -> str:
    """A port in a few words: its device and what it looks like."""
    if port.is_mega_2560:
        kind = "Arduino Mega 2560"
    elif port.is_likely_clone:
        kind = "USB-serial, maybe a Mega clone"
    else:
        kind = port.description if port.description not in ("", "n/a") else "serial port"
    return f"{port.device}: {kind}"


def board_choices(extra_port: str | None = None) -> list[BoardChoice]:
    """Detected ports (Arduino Mega 2560 first, then likely clones), then the simulated board."""
    choices = []
    if extra_port:
        choices.append(BoardChoice(f"{extra_port} (from the command line)", extra_port))
    for port in list_serial_ports():
        if port.device != extra_port:
            likely = port.is_mega_2560 or port.is_likely_clone
            choices.append(BoardChoice(short_port_label(port), port.device, False, likely))
    choices.append(BoardChoice(SIMULATED_LABEL, None, simulated=True))
    return choices


def preferred_choice(choices: Sequence[BoardChoice]) -> BoardChoice:
    """The default pick: a given port, else the first likely Mega, else the simulated board."""
    for choice in choices:
        if choice.port is not None and (choice.likely_mega or "command line" in choice.label):
            return choice
    return choices[-1]


class ConnectedBoard:
    """A chosen board: starts the simulator if needed and reads the board's identity.

    `sample_rate_hz` and `channels` are the operator's wish (None: the board's default); every
    source opened on this board applies them, since a board resets when its port closes.
    """

    def __init__(
        self, choice: BoardChoice, sim_args: Sequence[str] = (), baud: int = DEFAULT_BAUD
    ) -> None:
        """Remember the choice; `connect` does the slow work."""
        self.choice = choice
        self.sim_args = list(sim_args)
        self.baud = baud
        self.identity: Identity | None = None
        self.sample_rate_hz: int | None = None
        self.channels: int | None = None
        self._simulator: SimulatorProcess | None = None

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

    def source(self) -> FramedSource:
        """A fresh source for the recorder on this board's port, with the wished settings."""
        return FramedSource(self.port, self.baud, self.sample_rate_hz, self.channels)

    def close(self) -> None:
        """Stop the simulator if this board started one (never raises)."""
        if self._simulator is not None:
            try:
                self._simulator.stop()
            except OSError as err:
                log.warning("stopping the simulator: %s", err)
            self._simulator = None
