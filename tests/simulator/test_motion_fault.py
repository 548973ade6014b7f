"""The `motion` fault: a fast bump on the chosen channels, the same however blocks are cut."""

from __future__ import annotations

import numpy as np

from microexp_tui.dsp.artifacts import ArtifactFlag, StreamingArtifactDetector
from microexp_tui.simulator.faults import MOTION_FAULT_COUNTS, Fault, apply_level_faults


def test_a_motion_fault_is_a_bump_on_its_channels_that_the_flagger_calls_motion() -> None:
    rest = np.full((2000, 8), 30, dtype=np.uint16)
    fault = Fault("motion", 1.0, 0.08, (1, 2, 3))
    whole = rest.copy()
    apply_level_faults(whole, 0, 1000.0, [fault], "envelope")
    pieces = [rest[:1030].copy(), rest[1030:].copy()]
    apply_level_faults(pieces[0], 0, 1000.0, [fault], "envelope")
    apply_level_faults(pieces[1], 1030, 1000.0, [fault], "envelope")
    assert np.array_equal(np.concatenate(pieces), whole)
    moved = whole.astype(int) - 30
    assert moved[:, [0, 4, 5, 6, 7]].max() == 0
    assert moved[1000:1080, 1:4].max() == MOTION_FAULT_COUNTS
    assert moved[:1000].max() == 0 and moved[1080:].max() == 0
    flags = StreamingArtifactDetector(1000.0, 8, sensor_kinds=["envelope"] * 8).process(whole)
    motion = (flags & np.uint8(ArtifactFlag.MOTION)) != 0
    assert motion[1000:1080, 1:4].any() and not motion[:, [0, 4, 5, 6, 7]].any()
