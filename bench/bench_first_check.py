"""Benchmark: how often a newcomer's first electrode check on the simulated board finds a red
(or amber) channel at rest, over many seeds (not a test).

The simulated board's synthetic EMG (`simulator.board.synthetic_emg`) is driven the way the
check drives it: the participant is busy for a while, the rest cue (marker 0x0300) arrives
`--latency-ms` after the step starts (the host-to-board delay), and the rest window, after
`--settle-s`, is graded with `dsp.electrode_metrics` exactly as the Electrode check screen
grades it. `--settle-s 0` reproduces the check before the settle step; run it with the
`microexp_tui` of another commit on PYTHONPATH to compare the simulated participant.

    python bench/bench_first_check.py                          # restless + default, 200 seeds
    python bench/bench_first_check.py --settle-s 0 --seeds 200
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1]))  # PYTHONPATH first: compare commits

from microexp_tui.domain.markers import MARKER_REST_ONSET
from microexp_tui.dsp import electrode_metrics as ec
from microexp_tui.simulator.board import BoardConfig, synthetic_emg
from microexp_tui.simulator.participant import ParticipantConfig
from microexp_tui.simulator.scenario import Scenario

RATE_HZ = 1000
CHANNELS = 8
REST_S = 5.0
"""The shipped `checks.rest_s`."""


def scenarios() -> dict[str, tuple[Scenario, float]]:
    """Name -> (scenario, motion artifacts per minute) of the participants measured."""
    restless = Scenario(
        participant=ParticipantConfig(spontaneous=True, spontaneous_interval_s=(0.5, 3.0))
    )
    return {"default (no scenario)": (Scenario(), 1.0), "restless": (restless, 6.0)}


def first_check_grades(
    scenario: Scenario, artifacts_per_min: float, seed: int, settle_s: float, latency_s: float
) -> list[str]:
    """Rest grades of the 8 channels of one first check on a fresh simulated board."""
    config = replace(
        BoardConfig(seed=seed, scenario=scenario), motion_artifacts_per_min=artifacts_per_min
    )
    source = synthetic_emg(config, "envelope", RATE_HZ, CHANNELS, 1)
    start_s = float(np.random.default_rng([seed, 99]).uniform(5.0, 30.0))
    cue_s = start_s + latency_s
    first = int(cue_s * RATE_HZ)
    before = source.block(0, first)
    source.participant.on_marker(MARKER_REST_ONSET, cue_s)
    rest_from = int((start_s + settle_s) * RATE_HZ)
    stop = rest_from + int(REST_S * RATE_HZ)
    counts = np.concatenate([before, source.block(first, stop - first)])[rest_from:stop]
    metrics = ec.rest_metrics(counts.astype(np.int16), RATE_HZ, ["envelope"] * CHANNELS, 50.0)
    return [ec.rest_grade(metric, "envelope")[0] for metric in metrics]


def main() -> None:
    """Print the share of first checks with a red or an amber channel, per participant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--settle-s", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    print(f"{args.seeds} seeds, settle {args.settle_s:g} s, cue latency {args.latency_ms:g} ms")
    for name, (scenario, artifacts) in scenarios().items():
        red = amber = 0
        for seed in range(args.seeds):
            grades = first_check_grades(
                scenario, artifacts, seed, args.settle_s, args.latency_ms / 1000
            )
            red += "red" in grades
            amber += "amber" in grades and "red" not in grades
        print(
            f"{name:24s} first checks with a red channel {red / args.seeds:6.1%}, "
            f"amber only {amber / args.seeds:6.1%}"
        )


if __name__ == "__main__":
    main()
