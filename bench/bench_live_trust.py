"""Live emotions one can trust: calibration and wrong-emotion flashes on simulated live sessions.

Run from the repository root:

    python bench/bench_live_trust.py                  # both shipped models, ~1 minute each
    python bench/bench_live_trust.py --seeds 1 2 3    # other evaluation participants
    python bench/bench_live_trust.py --json           # machine-readable

Each evaluation seed is a simulated participant (never one of the fit seeds the cards'
display was fitted on, `training.live_sessions.FIT_SEEDS`). Per participant, two sessions are
rendered as the simulated board streams them (envelope mode, 8 x 1 kHz, markers applied at
their sample index) and classified through the recorder's filters and live classifier
(`training.live_sessions.simulate`):

- the six-emotion protocol (three rounds, stimulus order drawn with the seed) with
  spontaneous bursts: expected calibration error (15 bins, top label) of the output against
  the stimulus' emotion while the participant reacts, neutral elsewhere (goal <= 0.05), and
  the share of reactions whose emotion is shown at >= 0.5;
- `--quiet-minutes` (default 5) with spontaneous bursts and no stimuli: wrong-emotion flashes
  (a non-neutral class other than the target, neutral throughout, at >= 0.5 for >= 200 ms)
  per minute (goal: under 0.2, one per 5 minutes), and the same counted against what the
  participant is actually making (a burst's own emotion, shown up to 1 s after it, is no
  flash: these are the model's confusions).

"before" is the raw softmax through the neutral gate as screens showed it until now;
"calibrated" adds only the card's temperature; "displayed" is what screens show now
(temperature, then the card's evidence accumulator).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microexp_tui.inference.calibration import TemperatureScaling  # noqa: E402
from microexp_tui.inference.evidence import DisplaySettings  # noqa: E402
from microexp_tui.inference.model import EmotionModel  # noqa: E402
from microexp_tui.training.live_sessions import (  # noqa: E402
    EVAL_SEEDS,
    FIT_SEEDS,
    RAW_DISPLAY,
    Scores,
    SimulatedRun,
    score,
    simulate,
)

MODELS = ("cnn_window", "lstm_window")
ECE_GOAL = 0.05
FLASH_GOAL_PER_MIN = 0.2


def variants(model: EmotionModel) -> dict[str, DisplaySettings]:
    """The outputs compared: before, temperature only, and what is displayed now."""
    display = model.card.display
    temperature = TemperatureScaling(display.calibration.temperature, display.calibration.gated)
    return {
        "before": RAW_DISPLAY,
        "calibrated": DisplaySettings(temperature, None),
        "displayed": display,
    }


def measure(model: EmotionModel, seeds: list[int], quiet_minutes: float) -> dict[str, object]:
    """Scores of every variant, per seed and pooled over the seeds."""
    protocol = {seed: simulate(model, seed, stimuli=True) for seed in seeds}
    quiet = {seed: simulate(model, seed, False, quiet_minutes) for seed in seeds}
    result: dict[str, object] = {
        "model_id": model.model_id,
        "seeds": seeds,
        "windows": sum(len(run.targets) for run in protocol.values()),
        "reactions": sum(len(run.reactions) for run in protocol.values()),
        "quiet_minutes": quiet_minutes * len(seeds),
    }
    for name, display in variants(model).items():
        per_seed = {
            seed: asdict(_scores(display, [protocol[seed]], [quiet[seed]])) for seed in seeds
        }
        pooled = _scores(display, list(protocol.values()), list(quiet.values()))
        result[name] = {"pooled": asdict(pooled), "per_seed": per_seed}
    return result


def _scores(
    display: DisplaySettings, protocol: list[SimulatedRun], quiet: list[SimulatedRun]
) -> Scores:
    """Scores of one display on some sessions."""
    return score(display, protocol, quiet)


def print_table(result: dict[str, object]) -> None:
    """The pooled figures of one model, with the goals."""
    print(
        f"\n{result['model_id']}: seeds {result['seeds']}, {result['windows']} protocol windows, "
        f"{result['reactions']} reactions, {result['quiet_minutes']:g} min without stimuli"
    )
    header = ("ECE", 7), ("NLL", 7), ("flashes/min", 12), ("confusions/min", 15), ("shown", 7)
    print(f"{'output':<11} " + " ".join(f"{name:>{width}}" for name, width in header))
    for name in ("before", "calibrated", "displayed"):
        pooled = result[name]["pooled"]  # type: ignore[index]
        print(
            f"{name:<11} {pooled['ece']:>7.3f} {pooled['nll']:>7.3f} "
            f"{pooled['flashes_per_min']:>12.2f} {pooled['confusions_per_min']:>15.2f} "
            f"{pooled['reactions_shown']:>7.0%}"
        )
    shown = result["displayed"]["pooled"]  # type: ignore[index]
    ece_ok = "met" if shown["ece"] <= ECE_GOAL else "NOT met"
    flash_ok = "met" if shown["flashes_per_min"] < FLASH_GOAL_PER_MIN else "NOT met"
    print(f"goal ECE <= {ECE_GOAL}: {ece_ok}; goal flashes < {FLASH_GOAL_PER_MIN}/min: {flash_ok}")
    for seed, row in result["displayed"]["per_seed"].items():  # type: ignore[index]
        print(
            f"  seed {seed}: ECE {row['ece']:.3f}, flashes {row['flashes_per_min']:.2f}/min, "
            f"confusions {row['confusions_per_min']:.2f}/min, shown {row['reactions_shown']:.0%}"
        )


def main() -> int:
    """Measure the shipped models (or those named) on the evaluation seeds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(EVAL_SEEDS))
    parser.add_argument("--quiet-minutes", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    overlap = set(args.seeds) & set(FIT_SEEDS)
    if overlap:
        print(f"Seeds {sorted(overlap)} are the cards' fit seeds; evaluate on others.")
        return 2
    results = [
        measure(EmotionModel.load(ROOT / "models" / f"{name}.onnx"), args.seeds, args.quiet_minutes)
        for name in args.models
    ]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
