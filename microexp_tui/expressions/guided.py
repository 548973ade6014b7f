"""Which expressions answer a guided contraction (electrode check, calibration), not a stimulus.

The operator app marks each guided contraction it asks for (0x0500 + channel); an expression
starting within `GUIDED_RESPONSE_S` of such a cue is the participant doing as asked, which
review and report label so it is not read as a spontaneous or stimulus-driven expression.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.markers import channel_of_guided_marker

GUIDED_RESPONSE_S = 4.0
"""Cue to the end of the answer: the 3 s contraction window plus the reaction latency."""


def guided_expressions(
    expressions: Sequence[Expression],
    markers: Iterable[tuple[int, int]],
    rate_hz: float,
    response_s: float = GUIDED_RESPONSE_S,
) -> frozenset[int]:
    """Positions in `expressions` starting within `response_s` after a guided-contraction cue.

    `markers` are (sample index, code) pairs, e.g. the session's MarkerRecords.
    """
    cues = sorted(index for index, code in markers if channel_of_guided_marker(code) is not None)
    if not cues:
        return frozenset()
    window = round(response_s * rate_hz)
    guided = set()
    for position, expression in enumerate(expressions):
        before = bisect_right(cues, expression.onset_index) - 1
        if before >= 0 and expression.onset_index - cues[before] < window:
            guided.add(position)
    return frozenset(guided)
