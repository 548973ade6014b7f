"""Serial ports: known boards apart from other ports, nothing opened by listing, and a connect
attempt that says what answered (real pseudo-terminals, the simulated legacy sketch)."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable

import numpy as np
import pytest

from microexp_tui.cli.commands.ports import port_lines
from microexp_tui.device.protocol import (
    Ack,
    AckResult,
    Command,
    FrameType,
    ack_payload,
    encode_frame,
    encode_samples_block,
)
from microexp_tui.device.replies import describe_reply
from microexp_tui.device.transport import BoardLink, PortInfo
from microexp_tui.errors import DeviceError
from microexp_tui.session_flow.board import (
    OTHER_PORTS_GROUP,
    board_choices,
    connects_by_itself,
    legacy_simulator_args,
    preferred_choice,
)
from microexp_tui.simulator import start_simulator_process
from tests.acquisition.helpers import pty_peer

MEGA = PortInfo("/dev/ttyACM0", "Arduino Mega 2560", 0x2341, 0x0042, True, False, "Arduino LLC")
CLONE = PortInfo("/dev/ttyUSB0", "USB2.0-Serial", 0x1A86, 0x7523, False, True, "QinHeng")
PLAIN = PortInfo("/dev/ttyS0", "n/a", None, None, False, False)
MODEM = PortInfo("/dev/ttyACM1", "Modem", 0x1199, 0x9071, False, False, "Sierra Wireless")
SKETCH_LINES = b"".join(b"%d,1,2,3,4,5,6,7,8\r\n" % (51 * k) for k in range(6))


def test_known_boards_come_first_and_other_ports_in_their_own_group() -> None:
    choices = board_choices(ports=[MEGA, CLONE, PLAIN, MODEM])
    assert [c.port for c in choices] == [
        "/dev/ttyACM0",
        "/dev/ttyUSB0",
        None,
        "/dev/ttyS0",
        "/dev/ttyACM1",
    ]
    assert [c.group for c in choices] == [
        "known",
        "known",
        "simulated",
        OTHER_PORTS_GROUP,
        OTHER_PORTS_GROUP,
    ]
    assert choices[-1].label == "/dev/ttyACM1: Modem, Sierra Wireless, [1199:9071]"
    assert choices[-2].label == "/dev/ttyS0: no description"
    assert preferred_choice(choices).port == "/dev/ttyACM0"
    # A detected board is highlighted, never opened by itself (opening a Mega resets it).
    assert not connects_by_itself(preferred_choice(choices))
    only_plain = board_choices(ports=[PLAIN])
    assert preferred_choice(only_plain).simulated and connects_by_itself(only_plain[0])
    given = board_choices("/dev/ttyS0", ports=[PLAIN])
    assert [c.port for c in given] == ["/dev/ttyS0", None]
    assert connects_by_itself(given[0])


def test_microexp_ports_lists_known_boards_then_other_ports() -> None:
    lines = port_lines([MEGA, PLAIN, MODEM])
    assert lines == [
        "Known boards:",
        "  /dev/ttyACM0 (Arduino Mega 2560): Arduino Mega 2560 [2341:0042]",
        "Other serial ports (not a board this program knows):",
        "  /dev/ttyS0: no description",
        "  /dev/ttyACM1: Modem, Sierra Wireless, [1199:9071]",
    ]
    assert port_lines([PLAIN])[:2] == ["Known boards:", "  none found"]


def test_a_reply_is_described_by_what_it_looks_like() -> None:
    assert describe_reply(b"") == "no reply"
    assert "article's sketch (8 values per line): choose Legacy sketch" in describe_reply(
        SKETCH_LINES
    )
    frames = encode_samples_block(0, np.zeros((3, 2), dtype=np.uint16))
    assert "frames of the microexp protocol" in describe_reply(frames)
    ack = encode_frame(FrameType.ACK, 1, ack_payload(Ack(Command.STOP, 0, AckResult.OK)))
    assert "frames of the microexp protocol" in describe_reply(ack)
    assert "text that is not the article's sketch ('OK" in describe_reply(b"OK\r\nRING\r\n")
    assert "unreadable bytes" in describe_reply(bytes(range(256)))


def test_legacy_simulator_drops_the_rate() -> None:
    assert legacy_simulator_args(["--rate-hz", "500", "--seed", "3"]) == [
        "--seed",
        "3",
        "--legacy",
    ]


def _talker(reply: bytes) -> Callable[[int, threading.Event], None]:
    """A device that answers anything it is sent with `reply` (a modem, a GPS...)."""

    def serve(master: int, stop: threading.Event) -> None:
        while not stop.is_set():
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 4096)
                    os.write(master, reply)
                except OSError:
                    return

    return serve


@pytest.mark.parametrize(
    ("reply", "heard"),
    [
        (b"", "(heard: no reply)"),
        (b"OK\r\n", "(heard: text that is not the article's sketch ('OK')"),
        (bytes(range(1, 200)), "unreadable bytes"),
    ],
)
def test_a_failed_handshake_says_what_answered(reply: bytes, heard: str) -> None:
    with pty_peer(_talker(reply)) as path, pytest.raises(DeviceError) as err:
        BoardLink(path).connect(handshake_timeout_s=0.6)
    assert heard in str(err.value)


def test_the_articles_sketch_is_recognised_when_connected_as_firmware() -> None:
    with (
        start_simulator_process(["--legacy", "--seed", "2"]) as simulator,
        pytest.raises(DeviceError) as err,
    ):
        BoardLink(simulator.port).connect(handshake_timeout_s=1.5)
    message = str(err.value)
    assert "text lines that look like the article's sketch (8 values per line)" in message
    assert "choose Legacy sketch" in message
