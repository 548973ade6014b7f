"""The per-stimulus rule: one answer in the Review read model, the PDF report and the export.

One session of `tests.export.helpers.add_session` (six 1.5 s stimuli at 2, 5, 8, 11, 14 and
17 s, in the order of EMOTIONS) gets hand-made expressions, one edge of the rule each.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.expressions import Activation, Expression, kind_of
from microexp_tui.domain.muscles import EMOTION_CHANNELS, SEED_MONTAGE
from microexp_tui.domain.sessions import SessionSetup
from microexp_tui.export import export_sessions
from microexp_tui.expressions.emotions import hypothesis
from microexp_tui.expressions.stimulus_response import (
    RESPONSE_RULE,
    ResponseRule,
    stimulus_responses,
)
from microexp_tui.readmodels.review import load_review
from microexp_tui.report.sections_results import response_cell
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import RATE_HZ, add_session, montage, protocol_markers
from tests.report.conftest import make_report


def activations(emotion: str, start_s: float, length_s: float = 1.0) -> tuple[Activation, ...]:
    """The emotion's two seed muscles, both starting at `start_s`."""
    start, stop = round(start_s * RATE_HZ), round((start_s + length_s) * RATE_HZ)
    return tuple(
        Activation(c, start, stop, (start + stop) // 2, 300.0, 60.0)
        for c in EMOTION_CHANNELS[emotion]
    )


def expression(acts: tuple[Activation, ...], emotion: str | None) -> Expression:
    """An expression of these activations with the stored emotion given (None: "?")."""
    acts = tuple(sorted(acts, key=lambda a: (a.onset_index, a.channel_index)))
    units = tuple(u for a in acts for u in SEED_MONTAGE[a.channel_index].action_units)
    onset, offset = min(a.onset_index for a in acts), max(a.offset_index for a in acts)
    kind = kind_of(1000.0 * (offset - onset) / RATE_HZ)
    return Expression(float(RATE_HZ), onset, offset, onset, acts, units, kind, emotion, 0.7)


def merged_emotion() -> str | None:
    """What the detector calls a fear burst merged with a sadness reaction (all muscles)."""
    channels = EMOTION_CHANNELS["fear"] + EMOTION_CHANNELS["sadness"]
    return hypothesis([SEED_MONTAGE[c].action_units for c in channels]).emotion


EXPRESSIONS = [
    # happy at 2 s: a reaction starting 0.2 s before the onset counts
    expression(activations("happy", 1.8), "happy"),
    # surprise at 5 s: answered only by an expression of unclear emotion
    expression(activations("surprise", 5.4), None),
    # disgust at 8 s: answered by anger
    expression(activations("anger", 8.4), "anger"),
    # sadness at 11 s: a fear burst from 10.55 s (after the disgust window) merged with the
    # sadness reaction at 11.4 s, which the whole expression hides
    expression(activations("fear", 10.55, 2.5) + activations("sadness", 11.4), merged_emotion()),
    # fear at 14 s: nothing; anger at 17 s: its own emotion beside an unclear one
    expression(activations("anger", 17.5), "anger"),
    expression(activations("fear", 17.6, 0.2), None),
]
EXPECTED = {
    "happy": ("happy", True),
    "surprise": (None, False),
    "disgust": ("anger", False),
    "sadness": ("sadness", True),
    "fear": (None, False),
    "anger": ("anger", True),
}
"""Target -> (emotion the responses show, answered)."""


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A finished session with the expressions above."""
    db = tmp_path_factory.mktemp("rule") / "s.sqlite"
    with SessionStore.open(db) as store:
        person = store.create_participant("p_rule01")
        sid, _ = add_session(store, person.id, duration_s=20.0, seed=2)
        store.save_expressions(sid, EXPRESSIONS, "offline", {"detector": "test"})
        store.save_setup(SessionSetup(sid, protocol_seed=123456789))
    return db, sid


def test_the_merged_burst_alone_would_not_read_as_the_target() -> None:
    assert merged_emotion() == "fear", "the case needs the merge to hide the reaction"


def test_the_read_model_applies_each_edge(session: tuple[Path, int]) -> None:
    db, sid = session
    with SessionStore.open(db) as store:
        rows = load_review(store, sid).stimuli
    assert [r.emotion for r in rows] == list(EMOTIONS)
    for row in rows:
        assert (row.response_emotion, row.expected_hit) == EXPECTED[row.emotion], row.emotion
    happy = rows[0]
    assert happy.events == 1 and happy.response_start_index == round(1.7 * RATE_HZ)
    assert [r.events for r in rows] == [1, 1, 1, 1, 0, 2]


def test_a_reaction_before_the_lead_does_not_count() -> None:
    early = [expression(activations("happy", 1.6), "happy")]  # 0.4 s before the 2 s onset
    markers = protocol_markers(20.0)
    (first, *_) = stimulus_responses(markers, early, montage(), RATE_HZ)
    assert first.condition == "happy" and not first.responses and not first.matches
    (wider, *_) = stimulus_responses(markers, early, montage(), RATE_HZ, ResponseRule(0.5))
    assert wider.matches, "a longer lead (a setting) takes it in"


def test_the_report_prints_the_same_answers_and_the_rule(
    session: tuple[Path, int], tmp_path: Path
) -> None:
    db, sid = session
    pdf = make_report(db, sid, tmp_path / "r.pdf")
    with SessionStore.open(db) as store:
        rows = load_review(store, sid).stimuli
    cells = {"happy": "happy: match", "surprise": "?", "disgust": "anger"}
    cells |= {"sadness": "sadness: match", "fear": "-", "anger": "anger: match"}
    assert {row.emotion: response_cell(row) for row in rows} == cells
    for number, emotion in enumerate(EMOTIONS, start=1):
        assert f" {number} " in pdf.text and f"{emotion} {cells[emotion]}" in pdf.text
    assert " ".join(RESPONSE_RULE.split()) in pdf.text
    assert "Stimulus order seed 123456789 (reproduces the order)" in pdf.text


def test_the_export_writes_the_same_answers(session: tuple[Path, int], tmp_path: Path) -> None:
    db, _sid = session
    report = export_sessions(db, tmp_path / "out", None, "bids", tmp_path / "key")
    (events_path,) = report.out_dir.rglob("*_events.tsv")
    with events_path.open() as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["trial_type"] == "stimulus"]
    found = {r["target_emotion"]: (r["response_emotion"], r["response_match"]) for r in rows}
    expected = {
        target: ("n/a" if emotion is None else emotion, "yes" if hit else "no")
        for target, (emotion, hit) in EXPECTED.items()
    }
    expected["surprise"] = ("unclear", "no")
    assert found == expected
