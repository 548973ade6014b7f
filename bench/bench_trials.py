"""Trial table of one 60-minute 8-channel 1 kHz raw session, against MNE and NeuroKit2 epochs.

Run from the repository root:

    python bench/bench_trials.py               # best of 3
    python bench/bench_trials.py --repeats 5

The session (the simulator's raw-sensor signal, a participant reacting to a stimulus onset
every 8 s, anger and happy alternating: 449 trials; one-second int16 chunks) is built once
and cached under /tmp (never in the repository). Then, best of `--repeats`, each in this
process after a warm-up:

- product: `session_trials` + `standardise` end to end: read the stored chunks, filter
  (the raw chain's rectified envelope), flag, detect activations (onset latencies), cut
  epochs as the pieces pass, 41 rows per trial and muscle (whole window + 40 bins of
  100 ms), exclusions, z and the valence rows;
- MNE: the same read and the same filter bank into one in-memory envelope, then
  `mne.io.RawArray` + `mne.Epochs` (tmin -1 s, tmax 4 s, baseline (-1, 0)) and the bins
  by averaging (`get_data` reshaped), with the whole-window mean, change and peak;
- NeuroKit2: the same envelope as a DataFrame, `nk.epochs_create` (-1 .. 4 s) and the
  same baseline, bins and peaks with pandas/numpy per epoch.

The peers get no artifact flags, activation detection, exclusions, z or table rows, so
they do less. Wall and CPU seconds (all threads) and the peak RSS of the process are
printed; the ratios are peer / product. Not a test: the figures go to docs/benchmarks.md
with the command.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path("/tmp/microexp-bench-trials")
SESSION_DB = CACHE / "hour-raw.sqlite"
HOUR_SAMPLES = 3_600_000
RATE_HZ = 1000
STIMULUS_EVERY_S = 8
BASELINE_S, WINDOW_S, BIN_S = (-1.0, 0.0), (0.0, 4.0), 0.1


def build_session() -> None:
    """Write the simulated raw hour with its stimulus markers into the cached database."""
    import dataclasses

    import numpy as np

    from microexp_tui.domain.markers import stimulus_onset_code
    from microexp_tui.domain.recording import Batch, MarkerRecord
    from microexp_tui.simulator.board import EmgSource
    from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
    from microexp_tui.simulator.signals import SignalConfig, SignalGenerator
    from microexp_tui.store.sessions import SessionStore
    from tests.store import seed_channels

    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / "hour-raw.partial.sqlite"
    partial.unlink(missing_ok=True)
    participant = SimulatedParticipant(ParticipantConfig(), (), 1, 0)
    source = EmgSource(SignalGenerator(SignalConfig("raw", RATE_HZ, 8, 1)), participant)
    channels = [dataclasses.replace(c, sensor_kind="raw") for c in seed_channels()]
    onsets = {
        RATE_HZ * t: stimulus_onset_code("anger" if k % 2 else "happy")
        for k, t in enumerate(range(STIMULUS_EVERY_S, 3600, STIMULUS_EVERY_S))
    }
    with SessionStore.open(partial) as store:
        person = store.create_participant(code="BENCH")
        session_id = store.start_session(
            person.id, sample_rate_hz=RATE_HZ, channels=channels, device={}, simulated=True
        )
        for first in range(0, HOUR_SAMPLES, RATE_HZ):
            marks = []
            if first in onsets:
                participant.on_marker(onsets[first], first / RATE_HZ)
                marks.append(MarkerRecord(first, onsets[first], "protocol"))
            chunk = source.block(first, RATE_HZ).astype(np.int16)
            store.write_batch(session_id, Batch(chunks=[(first, chunk)], markers=marks))
        store.finish_session(session_id, "completed")
    partial.rename(SESSION_DB)


def product() -> int:
    """The product's table; returns its row count."""
    from microexp_tui.analysis.trials.options import TrialOptions
    from microexp_tui.analysis.trials.session import session_trials
    from microexp_tui.analysis.trials.standardise import standardise
    from microexp_tui.store.sessions import SessionStore

    options = TrialOptions()
    with SessionStore.open(SESSION_DB) as store:
        rows = session_trials(store, 1, options).rows
    return len(standardise(rows, options.exclude_sd))


def envelope_and_onsets() -> tuple[Any, list[int]]:
    """The whole session's envelope (one float32 array, the product's filter bank) and onsets."""
    import numpy as np

    from microexp_tui.analysis.microexpressions import piece_samples, session_detection
    from microexp_tui.analysis.trials.onsets import trial_onsets
    from microexp_tui.inference.offline import join_contiguous
    from microexp_tui.store.sessions import SessionStore

    with SessionStore.open(SESSION_DB) as store:
        record = store.session(1)
        detection = session_detection(store, record)
        out = np.empty((record.samples_per_channel, record.channel_count), np.float32)
        for first, stored in join_contiguous(store.sample_chunks(1), piece_samples(record)):
            envelope = detection.bank.process(detection.working.convert(stored))
            out[first : first + stored.shape[0]] = envelope
        onsets = [o.sample_index for o in trial_onsets(store.markers(1), record.sample_rate_hz)]
    return out, onsets


def measures(epochs: Any) -> dict[str, Any]:
    """Baseline, bin means, whole-window mean, change and peak of `(trials, ch, samples)`."""
    import numpy as np

    base = round(-BASELINE_S[0] * RATE_HZ)
    window = epochs[:, :, base : base + round(WINDOW_S[1] * RATE_HZ)]
    baseline = epochs[:, :, :base].mean(axis=2)
    bins = window.reshape(*window.shape[:2], -1, round(BIN_S * RATE_HZ)).mean(axis=3)
    mean = window.mean(axis=2)
    return {
        "baseline": baseline,
        "bins": bins - baseline[:, :, None],
        "change": mean - baseline,
        "peak": window.max(axis=2) - baseline,
        "peak_at": np.argmax(window, axis=2),
    }


def with_mne() -> int:
    """MNE's epochs of the same envelope; returns the number of values computed."""
    import mne
    import numpy as np

    envelope, onsets = envelope_and_onsets()
    info = mne.create_info([f"ch{c}" for c in range(envelope.shape[1])], RATE_HZ, "misc")
    raw = mne.io.RawArray(envelope.T.astype(np.float64), info, verbose="error")
    events = np.array([[i, 0, 1] for i in onsets], dtype=np.int64)
    epochs = mne.Epochs(
        raw, events, tmin=BASELINE_S[0], tmax=WINDOW_S[1] - 1 / RATE_HZ, baseline=None,
        picks="all", preload=True, verbose="error",
    )  # fmt: skip
    found = measures(epochs.get_data(copy=False))
    return sum(v.size for v in found.values())


def with_neurokit() -> int:
    """NeuroKit2's epochs of the same envelope; returns the number of values computed."""
    import neurokit2 as nk
    import numpy as np
    import pandas as pd

    envelope, onsets = envelope_and_onsets()
    frame = pd.DataFrame(envelope, columns=[f"ch{c}" for c in range(envelope.shape[1])])
    epochs = nk.epochs_create(
        frame, events=onsets, sampling_rate=RATE_HZ, epochs_start=BASELINE_S[0],
        epochs_end=WINDOW_S[1],
    )  # fmt: skip
    columns = list(frame.columns)
    length = round((WINDOW_S[1] - BASELINE_S[0]) * RATE_HZ)
    stacked = np.stack([epoch[columns].to_numpy()[:length].T for epoch in epochs.values()])
    found = measures(stacked)
    return sum(v.size for v in found.values())


def best_of(repeats: int, work: Any) -> tuple[float, float, int]:
    """Best wall and best CPU time (all threads) of `repeats` runs after one warm-up, and
    what the work returned."""
    result = work()
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main() -> None:
    """Build the session if needed, time the three, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("product", "mne", "neurokit"), nargs="*")
    args = parser.parse_args()
    if not SESSION_DB.exists():
        start = time.perf_counter()
        build_session()
        print(f"built {SESSION_DB} in {time.perf_counter() - start:.0f} s")
    stages = {"product": product, "mne": with_mne, "neurokit": with_neurokit}
    times = {}
    for name in args.only or stages:
        seconds, cpu, count = best_of(args.repeats, stages[name])
        times[name] = seconds
        print(
            f"{name}: {seconds:.2f} s wall, {cpu:.2f} s CPU (best of {args.repeats}), "
            f"{count:,} rows/values"
        )
    if "product" in times:
        for name in ("mne", "neurokit"):
            if name in times:
                print(f"{name} / product: {times[name] / times['product']:.2f}x")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
