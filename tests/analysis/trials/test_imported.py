"""Trial tables of an imported recording: its own rate, unit and condition names.

A BIDS-EMG recording at 2000 Hz in microvolts, written with pyedflib, whose events.tsv names
two conditions another lab might use ("Pull_Left", "Push_Right"); channel EMG1 bursts 0.5 s
after each Pull_Left onset and EMG2 after each Push_Right one. A burst is a 73 Hz sine
(inside the band, off every mains harmonic) on the noise: its rectified envelope is 2A/pi.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.pooled import participant_trials
from microexp_tui.analysis.trials.session import NoTrialsError, session_trials
from microexp_tui.analysis.trials.table import WHOLE_WINDOW_BIN, TrialRow
from microexp_tui.errors import InputError
from microexp_tui.ingest import import_path
from microexp_tui.store.sessions import SessionStore
from tests.ingest.helpers import Signal, bids_dataset, write_file, write_tsv

RATE_HZ = 2000
SECONDS = 62
ONSETS_S = [4.0 + 5.0 * k for k in range(11)]
CONDITIONS = ["Pull_Left", "Push_Right"] * 6
BURST_DELAY_S, BURST_S = 0.5, 1.0
NOISE_UV, BURST_UV, BURST_HZ = 5.0, 120.0, 73.0
TOP = 2**15 - 1
RANGE_UV = 2000.0


def signals() -> list[Signal]:
    """Three channels of noise; EMG1 bursts after Pull_Left, EMG2 after Push_Right."""
    rng = np.random.default_rng(7)
    uv = rng.normal(0.0, NOISE_UV, (SECONDS * RATE_HZ, 3))
    for onset, condition in zip(ONSETS_S, CONDITIONS, strict=False):
        start = round((onset + BURST_DELAY_S) * RATE_HZ)
        channel = 0 if condition == "Pull_Left" else 1
        t_s = np.arange(round(BURST_S * RATE_HZ)) / RATE_HZ
        uv[start : start + t_s.size, channel] += BURST_UV * np.sin(2 * np.pi * BURST_HZ * t_s)
    digital = np.clip(np.rint(uv / RANGE_UV * TOP), -TOP - 1, TOP).astype(np.int16)
    return [
        Signal(f"EMG{c + 1}", RATE_HZ, "uV", (-RANGE_UV, RANGE_UV), (-TOP - 1, TOP), digital[:, c])
        for c in range(3)
    ]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The recording imported into a database: its path and the session id."""
    tmp = tmp_path_factory.mktemp("imported")
    root = bids_dataset(tmp / "ds", {})
    folder = root / "sub-07" / "emg"
    folder.mkdir(parents=True)
    write_file(folder / "sub-07_task-pull_emg.edf", signals())
    events = [[t, 0.5, c] for t, c in zip(ONSETS_S, CONDITIONS, strict=False)]
    write_tsv(folder / "sub-07_task-pull_events.tsv", ["onset", "duration", "trial_type"], events)
    db = tmp / "s.sqlite"
    with SessionStore.open(db) as store:
        (session,) = import_path(root, store).sessions
    return db, session.session_id


def table(imported: tuple[Path, int]) -> list[TrialRow]:
    """The standardised table of the imported session."""
    db, session_id = imported
    with SessionStore.open(db) as store:
        return participant_trials(
            store,
            [session_id],
            TrialOptions(),
            site="other-lab",
            participant="sub-07",
            session_labels={session_id: "ses-a"},
        )


def test_an_imported_session_is_cut_at_its_events_at_its_own_rate(
    imported: tuple[Path, int],
) -> None:
    rows = table(imported)
    bins = [r for r in rows if r.bin == WHOLE_WINDOW_BIN and r.channel == "EMG1"]
    assert [r.condition for r in bins] == [c.lower() for c in CONDITIONS[: len(ONSETS_S)]]
    assert [r.onset_s for r in bins] == pytest.approx(ONSETS_S)
    assert {r.unit for r in rows} == {"uV"} and not any(r.excluded for r in rows)
    assert max(r.bin for r in rows) == 40

    def changes(channel: str, condition: str) -> list[float]:
        return [
            r.change or 0.0
            for r in rows
            if r.bin == WHOLE_WINDOW_BIN and r.channel == channel and r.condition == condition
        ]

    burst_uv = 2 * BURST_UV / np.pi * BURST_S / 4.0  # its envelope, averaged over 4 s
    for channel, bursting, quiet in (
        ("EMG1", "pull_left", "push_right"),
        ("EMG2", "push_right", "pull_left"),
    ):
        assert statistics.fmean(changes(channel, bursting)) == pytest.approx(burst_uv, rel=0.15)
        assert abs(statistics.fmean(changes(channel, quiet))) < 0.1 * burst_uv
    latencies = [
        r.onset_latency_s
        for r in rows
        if r.bin == WHOLE_WINDOW_BIN and r.channel == "EMG1" and r.condition == "pull_left"
    ]
    assert all(
        latency is not None and latency == pytest.approx(BURST_DELAY_S, abs=0.06)
        for latency in latencies
    ), latencies
    pct = [r.pct_change for r in rows if r.bin == WHOLE_WINDOW_BIN and r.channel == "EMG1"]
    assert all(p is not None for p in pct)  # the baseline (~8 uV) is far above one step


def test_a_session_without_events_says_so(tmp_path: Path) -> None:
    path = write_file(tmp_path / "sub-08_task-x_emg.edf", signals())
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(path, store).sessions
        with pytest.raises(NoTrialsError, match="no trials") as caught:
            session_trials(store, session.session_id, TrialOptions())
    assert isinstance(caught.value, InputError) and "events.tsv" in str(caught.value)


@pytest.mark.parametrize("rate_hz", [5, 7, 20])
def test_slow_envelopes_keep_every_bin_inside_the_epoch(tmp_path: Path, rate_hz: int) -> None:
    """At 5-7 Hz a 100 ms bin is under one sample: each keeps one, and the epoch holds them."""
    rng = np.random.default_rng(rate_hz)
    values = rng.normal(1000, 50, (rate_hz * 40, 2)).astype(np.int16)
    signals = [
        Signal(f"E{c}", rate_hz, "uV", (-3276.8, 3276.7), (-32768, 32767), values[:, c])
        for c in range(2)
    ]
    path = write_file(tmp_path / "sub-09_task-x_emg.edf", signals)
    events = [[1.5 + 5 * k, "A"] for k in range(7)]
    write_tsv(tmp_path / "sub-09_task-x_events.tsv", ["onset", "trial_type"], events)
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(path, store, sensor_kind="envelope").sessions
        rows = session_trials(store, session.session_id, TrialOptions()).rows
    assert len(rows) == 7 * 2 * 41
    assert all(r.mean is not None and r.baseline is not None for r in rows)
    assert [r.bin_start_s for r in rows[1:41]] == pytest.approx([k / 10 for k in range(40)])
