"""One rule for both wire formats: a jump of the board's clock the host clock cannot explain is
corruption, not loss.

A sample cannot arrive before it was sent. With `offset_s` the least (receive time - board
time) seen on a connection, a sample whose board time plus `offset_s` passes its receive time
by more than `CLOCK_SLACK_S` claims to come from the future: the jump that put it there (a
framed SAMPLES sequence number or the legacy sketch's millis leaping ahead) is corrupt. The
decoder then places it by host time and counts a resync, so a corrupt jump invents at most
`CLOCK_SLACK_S` of loss, never hours. A jump the host time can explain is a gap: its samples
were lost.

The reference is learned only from samples that continue the stream without a jump (and
from the first one): a jump is what is being judged, so letting it move the reference would
let a run of small corrupt jumps, each within the slack, ratchet the clock ahead without end.
"""

from __future__ import annotations

import math

CLOCK_SLACK_S = 1.0
"""How far a sample's board time may run ahead of what the host clock explains (receive-time
noise and latency); a longer jump is corruption. It bounds the loss a corrupt forward jump can
invent to this much time."""


def host_explains(board_s: float, offset_s: float, receive_time_s: float) -> bool:
    """Whether a sample at board time `board_s` may have arrived at `receive_time_s`.

    `offset_s` is the least receive-minus-board time seen so far; with none yet (infinity)
    every jump is explained, as there is nothing to measure it against.
    """
    if math.isinf(offset_s):
        return True
    return board_s + offset_s <= receive_time_s + CLOCK_SLACK_S


def latest_board_s(offset_s: float, receive_time_s: float) -> float:
    """The latest board time the host clock allows for a sample received at `receive_time_s`."""
    return receive_time_s - offset_s


def next_offset_s(
    offset_s: float, board_s: float, receive_time_s: float, *, continues: bool
) -> float:
    """The reference after a sample at `board_s` received at `receive_time_s`.

    Only a sample that `continues` the stream (no jump before it), or the first one of a
    connection, can lower it; a jump, believed or not, leaves it where it was.
    """
    if continues or math.isinf(offset_s):
        return min(offset_s, receive_time_s - board_s)
    return offset_s
