"""Simulated labelled datasets written as CSV files: what real labs hand in, with known truth.

- `seed_in_physical_units`: the seed data converted from ADC counts to microvolts, each
  participant with their own gain and offset on every channel (amplifiers, electrode
  impedance and skin differ between people), float values, seed column layout.
- `feature_dataset`: an 8-electrode, 7-class (neutral included) feature set like real
  facial-EMG studies publish: one row per trial, each electrode's average power (strictly
  positive, heavy-tailed), per-participant gains spanning a factor of 10 and per-participant
  muscle responsiveness, trial-to-trial noise, a quarter of the trials with only the first
  and a quarter with only the second muscle of the emotion (ambiguous, as in the seed data),
  labels in shuffled order, seed column layout with float values.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.training.table import SEED_COLUMNS

UV_PER_COUNT = 5_000_000.0 / 1024 / 1000  # a 10-bit ADC at 5 V: 4.88 mV per count, in µV / 1000
EMOTION_MUSCLES = {  # seed channel indices per emotion (seed README)
    "happy": (0, 7),
    "sadness": (1, 4),
    "surprise": (1, 6),
    "fear": (5, 6),
    "disgust": (2, 3),
    "anger": (4, 7),
}


def _write(path: Path, labels: list[str], values: np.ndarray) -> None:
    """One participant's rows in the seed column layout with float values."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SEED_COLUMNS)
        for i, (label, row) in enumerate(zip(labels, values, strict=True)):
            writer.writerow([f"{i / 20:.2f}", label, *(f"{v:.6g}" for v in row), ""])


def seed_in_physical_units(
    seed_dir: Path, out: Path, participants: list[str], seed: int = 0, rows_every: int = 1
) -> Path:
    """Seed files in µV with a per-participant gain (x0.4..x2.5) and offset (+-200 µV)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for name in participants:
        with (seed_dir / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1::rows_every]
        counts = np.asarray([[float(c) for c in r[2:10]] for r in rows])
        gain = np.exp(rng.uniform(np.log(0.4), np.log(2.5), size=8))
        offset = rng.uniform(-200.0, 200.0, size=8)
        _write(out / f"{name}.csv", [r[1] for r in rows], counts * UV_PER_COUNT * gain + offset)
    return out


def _active(muscles: tuple[int, ...], rng: np.random.Generator) -> tuple[int, ...]:
    """As in the seed data: the first muscle alone, the second alone, or both (1/4, 1/4, 1/2)."""
    if not muscles:
        return ()
    pick = rng.choice(3, p=[0.25, 0.25, 0.5])
    return muscles if pick == 2 else (muscles[pick],)


def feature_dataset(
    out: Path, participants: int = 8, trials_per_class: int = 30, seed: int = 0
) -> Path:
    """Average-power features of 8 electrodes, 7 classes (neutral included), one row a trial."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    classes = (NEUTRAL, *EMOTIONS)
    for p in range(participants):
        gain = np.exp(rng.uniform(np.log(0.3), np.log(3.0), size=8))  # a factor of 10 apart
        rest = rng.uniform(2.0, 6.0, size=8)  # resting amplitude, µV
        respond = rng.lognormal(0.0, 0.4, size=8)  # how strongly each muscle reacts
        labels, amplitudes = [], []
        for label in classes:
            for _ in range(trials_per_class):
                amplitude = rest * rng.lognormal(0.0, 0.35, size=8)
                for channel in _active(EMOTION_MUSCLES.get(label, ()), rng):
                    amplitude[channel] += rng.uniform(1.0, 6.0) * rest[channel] * respond[channel]
                labels.append(label)
                amplitudes.append(amplitude)
        order = rng.permutation(len(labels))
        power = (np.asarray(amplitudes) * gain) ** 2  # µV², strictly positive, heavy-tailed
        _write(out / f"p{p + 1:02d}.csv", [labels[i] for i in order], power[order])
    return out
