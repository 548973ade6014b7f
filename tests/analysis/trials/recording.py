"""Real recordings for the trial tests: the simulator on a pseudo-terminal, the recorder, SQLite.

The simulator is paced in real time (an unpaced stream runs seconds ahead of the host, so a
marker would land far from its plan); the host marks each planned event when the recording
reaches its sample, as a protocol run does, and the board applies it within a few tens of
milliseconds (the tests read where the markers actually landed).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from microexp_tui.acquisition.recorder import Recorder, RecordingOptions
from microexp_tui.session_flow.headless import make_source
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore

POLL_S = 0.0005


@dataclass(frozen=True)
class Recorded:
    """A recorded session: its database and id."""

    database: Path
    session_id: int


def record(
    folder: Path,
    scenario: str,
    stimuli: Sequence[tuple[float, int]],
    duration_s: float,
    *,
    participant: str = "P-TRIALS",
    sim_args: Sequence[str] = (),
    database: Path | None = None,
) -> Recorded:
    """Record `duration_s` s of the scenario, marking each `(time_s, code)` stimulus on time."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario_path = folder / f"scenario-{len(list(folder.glob('scenario-*')))}.toml"
    scenario_path.write_text(scenario)
    db = database or folder / "s.sqlite"
    args = ["--scenario", str(scenario_path), *sim_args]
    with start_simulator_process(args) as sim, SessionStore.open(db) as store:
        recorder = Recorder(
            make_source(sim.port, None, False),
            store,
            RecordingOptions(participant_code=participant),
        )
        session_id = recorder.start()
        rate_hz = recorder.sample_rate_hz
        plan = sorted(stimuli)
        end = round(duration_s * rate_hz)
        while recorder.samples_received() < end and not recorder.stopping:
            now = recorder.samples_received()
            while plan and now >= round(plan[0][0] * rate_hz):
                recorder.mark(plan.pop(0)[1])
            time.sleep(POLL_S)
        summary = recorder.stop()
    assert summary.status == "completed", summary.error
    return Recorded(db, session_id)
