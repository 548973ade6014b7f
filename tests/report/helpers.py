"""Session databases for report tests, built with real store calls (no mocks).

Reuses the export tests' montage, signal and session recorder; adds what a report shows:
a long protocol (enough stimuli to split the table over pages), live predictions with the
shipped CNN's card, stored expressions, an AU validation, checks, calibration, artifacts,
a gap and an interrupted session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.expressions import (
    Activation,
    AuScore,
    ConfirmedMicroExpression,
    Expression,
    ValidationReport,
)
from microexp_tui.domain.markers import (
    MARKER_OPERATOR_BASE,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.domain.muscles import EMOTION_CHANNELS, SEED_MONTAGE
from microexp_tui.domain.recording import Batch, GapRecord, MarkerRecord, PredictionRecord
from microexp_tui.domain.sessions import ProtocolProgress
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import RATE_HZ, add_session, montage, signal

ROOT = Path(__file__).resolve().parents[2]
CARD_PATH = ROOT / "models" / "cnn_window.card.json"
CODE = "P-RPT0001"
OTHER_CODE = "P-RPT0002"
IDENTITY_NAME = "Wilhelmina Quartermaine-Report"
OPERATOR = "op-report"
STIMULUS_EVERY_S = 2.5
STIMULUS_LENGTH_S = 1.5
MAIN_DURATION_S = 150.0
MISSES = (4, 11)
"""0-based stimuli whose predictions name another emotion (the confusion matrix shows them)."""
GAP = (40 * RATE_HZ + 10, 50)
CRC_ERRORS = 3


@dataclass(frozen=True)
class ReportDb:
    """Ids of the sessions the report tests look at."""

    path: Path
    earlier: int
    main: int
    interrupted: int
    lone: int
    """A completed session of another participant, without predictions or checks."""


def stimulus_plan(duration_s: float) -> list[tuple[int, int, str]]:
    """(onset index, offset index, emotion) of each stimulus: one every 2.5 s after 1 s."""
    plan = []
    onset_s, k = 1.0, 0
    while onset_s + STIMULUS_LENGTH_S < duration_s - 1.0:
        emotion = EMOTIONS[k % len(EMOTIONS)]
        onset = int(onset_s * RATE_HZ)
        plan.append((onset, onset + int(STIMULUS_LENGTH_S * RATE_HZ), emotion))
        onset_s += STIMULUS_EVERY_S
        k += 1
    return plan


def predicted_emotion(number: int, target: str) -> str:
    """What the stored predictions say during stimulus `number` (0-based)."""
    if number in MISSES:
        return EMOTIONS[(EMOTIONS.index(target) + 1) % len(EMOTIONS)]
    return target


def prediction_records(model_id: str, classes: tuple[str, ...], n: int) -> list[PredictionRecord]:
    """Windows every 100 ms: the (mostly right) emotion during stimuli, neutral elsewhere."""
    plan = stimulus_plan(n / RATE_HZ)
    hop = RATE_HZ // 10
    records = []
    for end in range(125, n + 1, hop):
        probs = np.full(len(classes), 0.02)
        label = "neutral"
        for number, (onset, offset, emotion) in enumerate(plan):
            if onset < end <= offset:
                label = predicted_emotion(number, emotion)
        probs[classes.index(label)] = 0.8 if label != "neutral" else 0.9
        probs /= probs.sum()
        records.append(PredictionRecord(model_id, end, label, 0.3, tuple(float(p) for p in probs)))
    return records


def stimulus_expressions(plan: list[tuple[int, int, str]]) -> list[Expression]:
    """One expression per stimulus, 300 ms after its onset, on the emotion's two muscles."""
    found = []
    for number, (onset, _offset, emotion) in enumerate(plan):
        start = onset + int(0.3 * RATE_HZ)
        length = int(0.3 * RATE_HZ) if number % 3 == 0 else int(1.2 * RATE_HZ)
        channels = EMOTION_CHANNELS[emotion]
        acts = tuple(
            Activation(
                ch,
                start + 5 * i,
                start + length,
                start + length // 2,
                300.0 - 20 * i,
                60.0 - 10 * i,
            )
            for i, ch in enumerate(channels)
        )
        units = tuple(u for ch in channels for u in SEED_MONTAGE[ch].action_units)
        found.append(
            Expression(
                float(RATE_HZ),
                start,
                start + length,
                start + length // 2,
                acts,
                units,
                "micro" if length <= 0.5 * RATE_HZ else "macro",
                emotion,
                0.75,
            )
        )
    return found


def validation_report() -> ValidationReport:
    """An AU validation with two scored AUs and one confirmed micro-expression."""
    au12 = AuScore("AU12", 10, 9, 8, 0.8, 8 / 9, 0.842, 40.0)
    au4 = AuScore("AU4", 12, 10, 7, 7 / 12, 0.7, 0.636, 55.0)
    overall = AuScore("overall", 22, 19, 15, 15 / 22, 15 / 19, 0.732, 48.0)
    return ValidationReport(
        au_file="p_rpt0001_openface.csv",
        au_file_sha256="cd" * 32,
        offset_s=1.25,
        alignment="sync marker 0x0400 at 2.000 s",
        tolerance_ms=200.0,
        overall=overall,
        per_action_unit=(au12, au4),
        confirmed_micro=(ConfirmedMicroExpression(1.3, 300.0, ("AU6", "AU12"), "happy", 35.0),),
        covered_s=(0.0, 150.0),
    )


def _record_main(store: SessionStore, participant_id: int) -> int:
    """The main session: long protocol, predictions, expressions, checks, a gap, artifacts."""
    sid = store.start_session(
        participant_id,
        sample_rate_hz=RATE_HZ,
        channels=montage(),
        device={
            "board": "Arduino Mega 2560",
            "board_id": 42,
            "firmware_version": "1.2.0",
            "protocol_version": 1,
            "port": "/dev/ttyACM0",
        },
        simulated=False,
        protocol="six_emotions",
        operator=OPERATOR,
    )
    n = int(MAIN_DURATION_S * RATE_HZ)
    data = signal(n, 11, ("envelope",) * 8)
    plan = stimulus_plan(MAIN_DURATION_S)
    markers = [MarkerRecord(a, stimulus_onset_code(e), "protocol", e) for a, _b, e in plan]
    markers += [MarkerRecord(b, MARKER_STIMULUS_OFFSET, "protocol") for _a, b, _e in plan]
    markers.append(MarkerRecord(10 * RATE_HZ, MARKER_OPERATOR_BASE + 2, "host", "key 2"))
    for first in range(0, n, RATE_HZ):
        stop = min(n, first + RATE_HZ)
        batch = Batch(markers=[m for m in markers if first <= m.sample_index < stop])
        if first <= GAP[0] < stop:
            batch.chunks.append((first, data[first : GAP[0]]))
            batch.chunks.append((GAP[0] + GAP[1], data[GAP[0] + GAP[1] : stop]))
            batch.gaps.append(GapRecord(*GAP))
        else:
            batch.chunks.append((first, data[first:stop]))
        if first == 20 * RATE_HZ:
            batch.artifacts += [
                (3, "motion", first, first + RATE_HZ),
                (4, "motion", first, first + RATE_HZ),
            ]
        batch.counters = {
            "frames": stop,
            "crc_errors": CRC_ERRORS,
            "sequence_gaps": 1,
            "lost_samples": GAP[1],
        }
        store.write_batch(sid, batch)
    store.finish_session(sid, "completed", actor=OPERATOR)
    card = json.loads(CARD_PATH.read_text())
    classes = tuple(card["output_classes"])
    store.start_prediction_run(
        sid,
        card["model_id"],
        kind="live",
        classes=classes,
        hop_ms=100.0,
        window_samples=125,
        model_card=card,
        records=prediction_records(card["model_id"], classes, n),
    )
    store.save_expressions(sid, stimulus_expressions(plan), "offline", {"detector": "test"})
    store.save_validation(sid, validation_report(), "offline")
    checks = [
        ElectrodeCheck(c, "green", 30.0, 4.0, 0.02, 0.0, False, 240.0, True) for c in range(8)
    ]
    checks[2] = ElectrodeCheck(2, "amber", 31.0, 40.0, 0.3, 0.0, False, 150.0, True, "mains 30 %")
    checks[5] = ElectrodeCheck(
        5, "red", 0.0, 0.0, 0.0, 0.0, True, 1.0, False, "flat line: electrode off"
    )
    store.save_electrode_checks(sid, checks, OPERATOR)
    store.save_calibration(
        sid,
        [ChannelCalibration(c, 60.0, 8.0, 360.0, c != 5, 0, 250, 300, 800) for c in range(8)],
        OPERATOR,
    )
    store.set_progress(sid, ProtocolProgress("six_emotions", len(plan), len(plan), 0, "completed"))
    return sid


def _record_interrupted(store: SessionStore, participant_id: int) -> int:
    """A short session that stopped `interrupted`: no predictions, no checks, no calibration."""
    sid = store.start_session(
        participant_id,
        sample_rate_hz=RATE_HZ,
        channels=montage(),
        device={"board": "Arduino Mega 2560"},
        simulated=False,
        protocol="six_emotions",
        operator=OPERATOR,
    )
    data = signal(4 * RATE_HZ, 5, ("envelope",) * 8)
    store.write_batch(sid, Batch(chunks=[(0, data)], counters={"frames": 4 * RATE_HZ}))
    store.finish_session(sid, "interrupted")
    return sid


def _backdate(store: SessionStore, order: list[int]) -> None:
    """Give the sessions distinct start dates in `order` (oldest first)."""
    for day, sid in enumerate(order, start=1):  # test fixture: no store method backdates
        store.db.execute(
            "UPDATE sessions SET started_at = ?, ended_at = ? WHERE id = ?",
            [
                f"2026-02-{day:02d}T10:00:00.000+00:00",
                f"2026-02-{day:02d}T10:30:00.000+00:00",
                sid,
            ],
        )


def build_report_db(path: Path) -> ReportDb:
    """Two participants: one with an earlier, a main and an interrupted session; one alone."""
    with SessionStore.open(path) as store:
        person = store.create_participant(
            CODE, 1990, "female", "right", IDENTITY_NAME, "wq@example.org", "identity note"
        )
        other = store.create_participant(OTHER_CODE, 1984, "male", "left")
        earlier, _ = add_session(store, person.id, duration_s=12.0, seed=3, operator=OPERATOR)
        main = _record_main(store, person.id)
        interrupted = _record_interrupted(store, person.id)
        lone, _ = add_session(store, other.id, duration_s=8.0, seed=4, operator=OPERATOR)
        _backdate(store, [earlier, main, interrupted, lone])
    return ReportDb(path, earlier, main, interrupted, lone)
