"""Two stations' databases of real simulated recordings with a face protocol, for trial tables.

The simulator is paced (real time): an unpaced one runs ahead of the host, so the protocol's
markers would land wherever the board happened to be. Each recording takes 16 s; the two
stations record at once.

Station A holds participant P-QUILL01 (two sessions, a planted name and notes) and P-BRAM02
(one session); station B holds P-QUILL01 again (one session: the same code, so the same keyed
label under one secret) and a session without stimuli (no trials).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from microexp_tui.session_flow.headless import run_recording
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore

PROTOCOL = """
title = "Trials test: happy and angry faces"
repetitions = 3
randomize = true

[[block]]
kind = "rest"
text = "Relax your face."
duration_s = 1

[[block]]
kind = "stimulus"
emotion = "happy"
text = "A smiling face"
duration_s = 1
isi_s = 1

[[block]]
kind = "stimulus"
emotion = "anger"
text = "A frowning face"
duration_s = 1
isi_s = 1
"""
TRIALS_PER_SESSION = 6
PLANTED_NAME = "Zoë Quillfeather"
PLANTED_NOTES = "Cousin of Ignatius Featherstonehaugh"
OPERATOR = "Operator Quentin Marsh"
CODES = ("P-QUILL01", "P-BRAM02")
RECORDING_S = 16.0


@dataclass(frozen=True)
class Stations:
    """The two databases and the session ids they hold."""

    a: Path
    b: Path
    a_sessions: tuple[int, ...]
    b_sessions: tuple[int, ...]
    b_without_trials: int


def record(db: Path, code: str, seed: int, protocol: Path | None) -> int:
    """One recording from the fast simulator (with the protocol, or none); its session id."""
    with start_simulator_process(["--seed", str(seed)]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=RECORDING_S if protocol else 3.0,
            participant_code=code,
            protocol_name=str(protocol) if protocol else None,
            protocol_seed=seed,
            operator=OPERATOR,
        )
    assert summary.status == "completed", summary.error
    assert summary.session_id is not None
    return summary.session_id


def build_stations(root: Path) -> Stations:
    """Record the sessions of both stations under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    protocol = root / "faces.toml"
    protocol.write_text(PROTOCOL, encoding="utf-8")
    a, b = root / "station-a.sqlite", root / "station-b.sqlite"
    for db in (a, b):
        with SessionStore.open(db) as store:
            store.create_participant(
                CODES[0], 1990, "female", "right", PLANTED_NAME, None, PLANTED_NOTES
            )
    with ThreadPoolExecutor(1) as other:
        at_b = other.submit(
            lambda: (record(b, CODES[0], 14, protocol), record(b, CODES[0], 15, None))
        )
        a_ids = tuple(
            record(a, code, seed, protocol)
            for code, seed in ((CODES[0], 11), (CODES[1], 12), (CODES[0], 13))
        )
        b_id, empty = at_b.result()
    return Stations(a, b, a_ids, (b_id,), empty)
