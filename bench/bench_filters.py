"""Benchmark: StreamingFilterBank against NeuroKit2 and a plain scipy causal chain (not a test).

One seeded synthetic raw-EMG recording (8 channels, 1 kHz, mains 50 Hz + harmonics, drift,
generated once in float64 and quantised to 10-bit counts) is filtered, in the same run, by:

  ours-chunked   StreamingFilterBank, all channels raw, fed in --chunk-seconds chunks (causal)
  ours-one-pass  the same bank fed the whole recording in one call (causal)
  neurokit2      nk.emg_clean + nk.emg_amplitude per channel (offline, zero-phase, no notch)
  scipy-causal   per channel, float64: sosfilt band-pass -> sosfilt notch comb (same 8 notches)
                 -> abs -> sosfilt low-pass; the stage-by-stage textbook chain
  scipy-iircomb  as scipy-causal but the notches are one scipy.signal.iircomb (50 Hz, Q 30,
                 order 20) run with lfilter

Each contender runs --repeats times; the best wall time counts (the machine is shared). Peak
traced memory (tracemalloc) comes from one extra, untimed run per contender.

    python bench/bench_filters.py                 # one hour, best of 3 (about 1 minute)
    python bench/bench_filters.py --minutes 10    # shorter recording
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from microexp_tui.dsp.filters import (
    ADC_MIDPOINT_COUNTS,
    FilterSettings,
    StreamingFilterBank,
    bandpass_sos,
    envelope_lowpass_sos,
    mains_notch_frequencies_hz,
    notch_sos,
)

RATE_HZ = 1000.0
CHANNELS = 8


def synthetic_raw_emg(minutes: float, seed: int) -> np.ndarray:
    """Float64 `(samples, channels)` raw EMG around Vref/2 with bursts, mains and drift."""
    rng = np.random.default_rng(seed)
    samples = int(minutes * 60 * RATE_HZ)
    band = scipy.signal.butter(4, [20.0, 450.0], "bandpass", fs=RATE_HZ, output="sos")
    emg = scipy.signal.sosfilt(band, rng.standard_normal((samples, CHANNELS)), axis=0)
    emg *= 6.0 / emg.std(axis=0)
    levels = rng.uniform(1.0, 5.0, (samples // 500 + 1, CHANNELS))
    gate = np.repeat(levels, 500, axis=0)[:samples]
    gate = scipy.signal.sosfilt(scipy.signal.butter(2, 4.0, fs=RATE_HZ, output="sos"), gate, axis=0)
    t_s = np.arange(samples)[:, None] / RATE_HZ
    phase = rng.uniform(0, 2 * np.pi, CHANNELS)[None, :]
    mains = 12.0 * np.sin(2 * np.pi * 50.0 * t_s + phase)
    mains += 4.0 * np.sin(2 * np.pi * 150.0 * t_s + 2 * phase)
    mains += 2.0 * np.sin(2 * np.pi * 250.0 * t_s + 3 * phase)
    drift = 20.0 * np.sin(2 * np.pi * 0.01 * t_s + phase)
    return np.asarray(ADC_MIDPOINT_COUNTS + emg * gate + mains + drift)


def ours_chunked(counts: np.ndarray, chunk_samples: int) -> np.ndarray:
    """Our bank fed fixed-size chunks, as the acquisition pipeline does."""
    bank = StreamingFilterBank(["raw"] * counts.shape[1], FilterSettings(RATE_HZ))
    out = np.empty(counts.shape, dtype=np.float32)
    for start in range(0, counts.shape[0], chunk_samples):
        out[start : start + chunk_samples] = bank.process(counts[start : start + chunk_samples])
    return out


def ours_one_pass(counts: np.ndarray) -> np.ndarray:
    """Our bank fed the whole recording at once."""
    return StreamingFilterBank(["raw"] * counts.shape[1], FilterSettings(RATE_HZ)).process(counts)


def neurokit2_offline(rows: np.ndarray) -> np.ndarray:
    """NeuroKit2 clean + amplitude, one channel at a time (its API is one-dimensional)."""
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.stack([nk.emg_amplitude(nk.emg_clean(row, sampling_rate=1000)) for row in rows])


def scipy_causal_reference(rows: np.ndarray) -> np.ndarray:
    """Textbook causal chain, float64, one sosfilt call per stage and channel."""
    settings = FilterSettings(RATE_HZ)
    band = bandpass_sos(settings)
    comb = notch_sos(settings, mains_notch_frequencies_hz(settings, settings.bandpass_edges_hz[1]))
    lowpass = envelope_lowpass_sos(settings)
    out = np.empty_like(rows)
    for channel, row in enumerate(rows):
        filtered = scipy.signal.sosfilt(comb, scipy.signal.sosfilt(band, row - 512.0))
        out[channel] = scipy.signal.sosfilt(lowpass, np.abs(filtered))
    return out


def scipy_iircomb_reference(rows: np.ndarray) -> np.ndarray:
    """Textbook causal chain with a single IIR comb notch (lfilter), float64, per channel."""
    settings = FilterSettings(RATE_HZ)
    band = bandpass_sos(settings)
    comb_b, comb_a = scipy.signal.iircomb(50.0, settings.notch_q, ftype="notch", fs=RATE_HZ)
    lowpass = envelope_lowpass_sos(settings)
    out = np.empty_like(rows)
    for channel, row in enumerate(rows):
        filtered = scipy.signal.lfilter(comb_b, comb_a, scipy.signal.sosfilt(band, row - 512.0))
        out[channel] = scipy.signal.sosfilt(lowpass, np.abs(filtered))
    return out


def best_time_s(run: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` runs (the machine is shared and noisy)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_traced_mb(run: Callable[[], object]) -> float:
    """Peak memory numpy and Python allocated during one run, in MB (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def agreement_counts(counts: np.ndarray, rows64: np.ndarray) -> float:
    """Largest |ours - float64 reference| over 10-120 s (the reference starts from zero state)."""
    span = slice(10000, min(120000, counts.shape[0]))
    ours = ours_one_pass(counts[: span.stop])
    reference = scipy_causal_reference(rows64[:, : span.stop]).T
    return float(np.abs(ours[span] - reference[span]).max())


def main() -> None:
    """Run all contenders on the same recording and print JSON plus a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="recording length")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per contender")
    parser.add_argument("--chunk-seconds", type=float, default=1.0, help="chunk for ours-chunked")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args()

    started = time.perf_counter()
    signal = synthetic_raw_emg(args.minutes, args.seed)
    counts = np.clip(np.round(signal), 0, 1023).astype(np.uint16)
    rows64 = np.ascontiguousarray(counts.T, dtype=np.float64)
    del signal
    chunk_samples = int(args.chunk_seconds * RATE_HZ)
    contenders: dict[str, Callable[[], object]] = {
        "ours-chunked": lambda: ours_chunked(counts, chunk_samples),
        "ours-one-pass": lambda: ours_one_pass(counts),
        "neurokit2": lambda: neurokit2_offline(rows64),
        "scipy-causal": lambda: scipy_causal_reference(rows64),
        "scipy-iircomb": lambda: scipy_iircomb_reference(rows64),
    }
    times = {name: best_time_s(run, args.repeats) for name, run in contenders.items()}
    memory = {} if args.no_memory else {n: peak_traced_mb(r) for n, r in contenders.items()}
    agreement = agreement_counts(counts, rows64)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "recording": f"{args.minutes:g} min x {CHANNELS} ch at {RATE_HZ:g} Hz "
        f"({counts.shape[0] * CHANNELS / 1e6:.1f} M samples), seed {args.seed}",
        "chunk_samples": chunk_samples,
        "repeats": args.repeats,
        "best_time_s": {k: round(v, 3) for k, v in times.items()},
        "peak_traced_mb": {k: round(v, 1) for k, v in memory.items()},
        "ratios": {
            "neurokit2 / ours-chunked": round(times["neurokit2"] / times["ours-chunked"], 2),
            "neurokit2 / ours-one-pass": round(times["neurokit2"] / times["ours-one-pass"], 2),
            "neurokit2 / scipy-causal": round(times["neurokit2"] / times["scipy-causal"], 2),
            "neurokit2 / scipy-iircomb": round(times["neurokit2"] / times["scipy-iircomb"], 2),
            "scipy-causal / ours-chunked": round(times["scipy-causal"] / times["ours-chunked"], 2),
        },
        "ours_vs_scipy_causal_max_abs_counts_after_10s": round(agreement, 4),
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "neurokit2": _neurokit2_version(),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", ""),
        },
        "total_bench_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    print(markdown_table(report))


def _neurokit2_version() -> str:
    """NeuroKit2's version string."""
    import neurokit2 as nk

    return str(nk.__version__)


def markdown_table(report: dict[str, Any]) -> str:
    """The timing table in markdown, for docs/benchmarks.md."""
    causal = {name: "yes" for name in report["best_time_s"] if name != "neurokit2"}
    notch = {"neurokit2": "no"}
    lines = [
        f"Command: `{report['command']}`; {report['recording']}; best of {report['repeats']}.",
        "",
        "| contender | causal | mains notch | best time (s) | NK2 / this | peak traced MB |",
        "|---|---|---|---|---|---|",
    ]
    nk_time = report["best_time_s"]["neurokit2"]
    for name, seconds in report["best_time_s"].items():
        memory = report["peak_traced_mb"].get(name, "-")
        lines.append(
            f"| {name} | {causal.get(name, 'no (filtfilt)')} | {notch.get(name, 'yes')} "
            f"| {seconds:.3f} | {nk_time / seconds:.2f} | {memory} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
