"""The per-stimulus rule on live simulated sessions, against the rule it replaced.

Records the six-emotion protocol from the unpaced simulator (its participant reacts to every
stimulus and makes spontaneous expressions) for each seed, then scores every stimulus with
the Review read model (the one rule, `expressions/stimulus_response.py`) and with the old
rule restated here (expressions starting from the onset to 1 s after the offset; ✓ when one
involved a muscle the seed data ties to the target emotion, whatever emotion it showed).

    python bench/bench_stimulus_rule.py --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.markers import is_stimulus_offset, stimulus_condition
from microexp_tui.domain.muscles import EMOTION_CHANNELS, SEED_MONTAGE
from microexp_tui.domain.recording import MarkerRecord
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.readmodels.review import load_review
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore


def old_rule(
    record: SessionRecord, markers: list[MarkerRecord], expressions: list[Expression]
) -> list[tuple[bool, bool]]:
    """Per stimulus: (old ✓, whether an expression in its old window showed the target)."""
    rate = record.sample_rate_hz
    out = []
    for position, marker in enumerate(markers):
        emotion = stimulus_condition(marker)
        if emotion is None:
            continue
        later = markers[position + 1 :]
        offset = next((m.sample_index for m in later if is_stimulus_offset(m)), None)
        stop = (offset if offset is not None else marker.sample_index) + round(rate)
        inside = [x for x in expressions if marker.sample_index <= x.onset_index < stop]
        muscles = {SEED_MONTAGE[i].name for i in EMOTION_CHANNELS.get(emotion, ())}
        wanted = {spec.index for spec in record.channels if spec.muscle in muscles}
        hit = any(wanted.intersection(x.channels) for x in inside)
        out.append((hit, any(x.emotion == emotion for x in inside)))
    return out


def measure(database: Path, seed: int, wall_s: float) -> str:
    """Record one seed's session and compare the two rules on it; one table row."""
    with start_simulator_process(["--fast", "--seed", str(seed)]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=database,
            duration_s=wall_s,
            protocol_name="six_emotions",
            protocol_seed=seed,
        )
    with SessionStore.open(database) as store:
        record = store.session(summary.session_id)
        rows = load_review(store, summary.session_id).stimuli
        old = old_rule(record, store.markers(summary.session_id), store.expressions(record.id))
    old_hits = sum(hit for hit, _shown in old)
    old_wrong = sum(hit and not shown for hit, shown in old)
    new_hits = sum(row.expected_hit for row in rows)
    unclear = sum(row.events > 0 and row.response_emotion is None for row in rows)
    return (
        f"| {seed} | {len(rows)} | {old_hits} ({old_wrong} without the target emotion) | "
        f"{new_hits} | {sum(r.events for r in rows)} | {unclear} |"
    )


def main() -> None:
    """Parse the seeds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--wall-s", type=float, default=40.0, help="recording wall seconds")
    args = parser.parse_args()
    print("| seed | stimuli | old ✓ | new ✓ | responses (new) | unclear responses |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            print(measure(Path(folder) / "bench.sqlite", seed, args.wall_s), flush=True)


if __name__ == "__main__":
    main()
