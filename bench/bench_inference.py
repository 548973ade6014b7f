"""Emotion-model speed: per-window latency (onnxruntime vs Keras) and offline throughput.

Run from the repository root, with the `train` extra installed (for the Keras side):

    python bench/bench_inference.py                 # full run, ~2-3 minutes
    python bench/bench_inference.py --minutes 5     # shorter offline recording

1. Per-window latency at batch 1, for the shipped CNN and LSTM (models/*_window.onnx and the
   Keras models they were exported from, models/*_window.keras), on the same (1, 10, 8)
   windows of normalised seed data, one run: onnxruntime `session.run` (1 thread), Keras
   `model(x)` inside a `tf.function`, Keras `model.predict(x)`; plus one live step of the
   classifier (`LiveClassifier.push` of 100 filtered samples: decimation, normalisation,
   onnxruntime, neutral gate).
2. Offline throughput of the whole filter + classify path on a one-hour 8-channel 1 kHz
   envelope recording from the simulator's signal generator (a participant with spontaneous
   expressions): the stored int16 chunks (1 s each) are filtered by the live filter bank and
   classified every 100 ms, exactly as `microexp reprocess` does, without SQLite; then the
   same hour through `microexp reprocess` on a session database, SQLite read and write included.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microexp_tui.cli import main as microexp  # noqa: E402
from microexp_tui.domain.muscles import SEED_MONTAGE  # noqa: E402
from microexp_tui.inference.live import LiveClassifier  # noqa: E402
from microexp_tui.inference.model import EmotionModel  # noqa: E402
from microexp_tui.inference.offline import classify_recording  # noqa: E402
from microexp_tui.paths import seed_dataset_dir  # noqa: E402
from microexp_tui.training.dataset import cut_windows  # noqa: E402
from microexp_tui.training.seed import load_seed_folder  # noqa: E402

MODELS = ("cnn_window", "lstm_window")
MUSCLES = [m.name for m in SEED_MONTAGE]
KINDS = ["envelope"] * 8


def timings_ms(call: Callable[[np.ndarray], Any], windows: np.ndarray, repeats: int) -> np.ndarray:
    """Wall time of `call(window)` for each of `repeats` windows (cycled), in milliseconds."""
    for window in windows[:50]:
        call(window)  # warm-up: graph tracing, allocator, caches
    out = np.empty(repeats)
    for i in range(repeats):
        window = windows[i % len(windows)]
        start = time.perf_counter_ns()
        call(window)
        out[i] = (time.perf_counter_ns() - start) / 1e6
    return out


def stats(values_ms: np.ndarray) -> dict[str, float]:
    """Median, mean, p99 and maximum in milliseconds."""
    return {
        "n": int(values_ms.size),
        "p50_ms": round(float(np.percentile(values_ms, 50)), 4),
        "mean_ms": round(float(values_ms.mean()), 4),
        "p99_ms": round(float(np.percentile(values_ms, 99)), 4),
        "max_ms": round(float(values_ms.max()), 4),
    }


def latency(name: str, windows: np.ndarray, repeats: int) -> dict[str, Any]:
    """Batch-1 latency of one model through onnxruntime, tf.function and predict."""
    import keras
    import tensorflow as tf

    model = EmotionModel.load(ROOT / "models" / f"{name}.onnx")
    keras_model = keras.saving.load_model(ROOT / "models" / f"{name}.keras")
    compiled = tf.function(lambda x: keras_model(x, training=False))
    one = windows[:, None]  # (n, 1, rows, channels): batches of one window
    results = {
        "onnxruntime": stats(timings_ms(model.model_probabilities, one, repeats)),
        "keras_tf_function": stats(timings_ms(lambda x: compiled(x).numpy(), one, repeats)),
        "keras_predict": stats(
            timings_ms(lambda x: keras_model.predict(x, verbose=0), one, max(200, repeats // 20))
        ),
    }
    ort_p50 = results["onnxruntime"]["p50_ms"]
    for key in ("keras_tf_function", "keras_predict"):
        results[key]["ratio_p50_vs_onnxruntime"] = round(results[key]["p50_ms"] / ort_p50, 1)
    results["live_step"] = stats(live_steps(model, repeats))
    return results


def live_steps(model: EmotionModel, repeats: int) -> np.ndarray:
    """Time `LiveClassifier.push` of 100-sample filtered blocks (one prediction each)."""
    classifier = LiveClassifier(model, 1000.0, MUSCLES, KINDS)
    rng = np.random.default_rng(0)
    block = (25 + 300 * (rng.random((100, 8)) > 0.7)).astype(np.float32)
    for first in range(0, 1000, 100):
        classifier.push(first, block)
    out = np.empty(repeats)
    for i in range(repeats):
        first = 1000 + 100 * i
        start = time.perf_counter_ns()
        classifier.push(first, block)
        out[i] = (time.perf_counter_ns() - start) / 1e6
    return out


def recording(minutes: float) -> list[tuple[int, np.ndarray]]:
    """One-second int16 chunks of a simulated envelope recording (8 channels, 1 kHz)."""
    from microexp_tui.simulator.board import EmgSource
    from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
    from microexp_tui.simulator.signals import SignalConfig, SignalGenerator

    participant = SimulatedParticipant(ParticipantConfig(spontaneous=True), (), 1, 0)
    source = EmgSource(SignalGenerator(SignalConfig("envelope", 1000, 8, 1)), participant)
    return [
        (first, source.block(first, 1000).astype(np.int16))
        for first in range(0, int(minutes * 60_000), 1000)
    ]


def throughput(minutes: float, repeats: int) -> dict[str, Any]:
    """Seconds of signal filtered and classified per wall second, both models."""
    chunks = recording(minutes)
    out: dict[str, Any] = {"recording_s": minutes * 60}
    for name in MODELS:
        model = EmotionModel.load(ROOT / "models" / f"{name}.onnx")
        best, predictions = float("inf"), 0
        for _ in range(repeats):
            start = time.perf_counter()
            predictions = len(
                classify_recording(
                    iter(chunks), model=model, sample_rate_hz=1000, muscles=MUSCLES,
                    sensor_kinds=KINDS,
                ).predictions
            )  # fmt: skip
            best = min(best, time.perf_counter() - start)
        out[name] = {
            "best_wall_s": round(best, 2),
            "x_real_time": round(minutes * 60 / best, 1),
            "predictions": predictions,
        }
    out["reprocess_with_sqlite"] = reprocess_timing(chunks, minutes)
    return out


def reprocess_timing(chunks: list[tuple[int, np.ndarray]], minutes: float) -> dict[str, Any]:
    """`microexp reprocess` on a database holding the recording (read, filter, classify, store)."""
    from microexp_tui.domain.recording import Batch
    from microexp_tui.store.sessions import SessionStore
    from tests.store import seed_channels

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "hour.sqlite"
        with SessionStore.open(db) as store:
            person = store.create_participant(code="BENCH")
            session_id = store.start_session(
                person.id, sample_rate_hz=1000, channels=seed_channels(), device={}, simulated=True
            )
            for first, counts in chunks:
                store.write_batch(session_id, Batch(chunks=[(first, counts)]))
            store.finish_session(session_id, "completed")
        model = str(ROOT / "models" / "cnn_window.onnx")
        start = time.perf_counter()
        with open(os.devnull, "w") as sink:
            stdout, sys.stdout = sys.stdout, sink
            try:
                code = microexp(["reprocess", str(session_id), "--db", str(db), "--model", model])
            finally:
                sys.stdout = stdout
        wall = time.perf_counter() - start
    return {"model": "cnn_window", "exit": code, "wall_s": round(wall, 2),
            "x_real_time": round(minutes * 60 / wall, 1)}  # fmt: skip


def main() -> None:
    """Run both measurements and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5000, help="batch-1 calls per contender")
    parser.add_argument("--minutes", type=float, default=60.0, help="offline recording length")
    parser.add_argument("--throughput-repeats", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from microexp_tui.training import tf_runtime

    tf_runtime.load()  # 2 threads, deterministic ops: the training configuration
    dataset = load_seed_folder(seed_dataset_dir(), ["subject_13", "subject_14", "subject_15"])
    windows = cut_windows(dataset, 10, 10).x
    report = {
        "windows": "(1, 10, 8) float32 normalised windows of subject_13..15",
        "latency_batch_1": {name: latency(name, windows, args.repeats) for name in MODELS},
        "offline_throughput": throughput(args.minutes, args.throughput_repeats),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
