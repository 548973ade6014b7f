"""Which stored events start a trial, and the condition each one gets."""

from __future__ import annotations

import pytest

from microexp_tui.analysis.trials.onsets import trial_onsets
from microexp_tui.domain.markers import (
    MARKER_OPERATOR_BASE,
    MARKER_PAUSE,
    MARKER_REST_ONSET,
    MARKER_RESUME,
    MARKER_STIMULUS_OFFSET,
    MARKER_TRIGGER_INPUT,
    guided_contraction_code,
    stimulus_onset_code,
)
from microexp_tui.domain.recording import MarkerRecord


def test_stimuli_triggers_and_external_events_start_trials_nothing_else_does() -> None:
    markers = [
        MarkerRecord(100, MARKER_REST_ONSET, "protocol"),
        MarkerRecord(200, stimulus_onset_code("anger"), "protocol"),
        MarkerRecord(300, MARKER_STIMULUS_OFFSET, "protocol"),
        MarkerRecord(350, guided_contraction_code(2), "host"),
        MarkerRecord(400, MARKER_PAUSE, "host"),
        MarkerRecord(450, MARKER_RESUME, "host"),
        MarkerRecord(500, MARKER_OPERATOR_BASE + 3, "host"),
        MarkerRecord(600, MARKER_TRIGGER_INPUT, "board"),
        MarkerRecord(700, None, "lsl", "Face_Angry", None, "external", None),
        MarkerRecord(800, None, "lsl", "x", None, "external", "Happy-Face"),
        MarkerRecord(900, None, "import", None, None, "marker", "Pull_Left"),
        MarkerRecord(1000, None, "import", "pull_right", None, "stimulus", "stimulus"),
        MarkerRecord(1100, None, "import", None, None, "stimulus", None),  # an offset
        MarkerRecord(1200, None, "import", None, None, "marker", "rest"),
        MarkerRecord(1300, None, "import", None, None, "stimulus", "neutral"),
        MarkerRecord(150, stimulus_onset_code("happy"), "protocol"),
    ]
    found = trial_onsets(markers, 100.0)
    assert [(o.sample_index, o.condition, o.kind) for o in found] == [
        (150, "happy", "stimulus"),
        (200, "anger", "stimulus"),
        (600, "trigger", "trigger"),
        (700, "face_angry", "external"),
        (800, "happy-face", "external"),
        (900, "pull_left", "marker"),
        (1000, "pull_right", "stimulus"),
        (1300, "neutral", "stimulus"),
    ]
    assert [o.trial for o in found] == list(range(1, 9))
    assert [o.onset_s for o in found] == pytest.approx([1.5, 2.0, 6.0, 7.0, 8.0, 9.0, 10.0, 13.0])
