"""What the simulated participant looks like on the wire: levels, durations, spectra, reactions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from microexp_tui.device.protocol import Command, FrameType, parse_marker
from microexp_tui.domain.markers import stimulus_onset_code
from microexp_tui.domain.muscles import EMOTION_CHANNELS
from microexp_tui.simulator import start_simulator_process
from tests.simulator import Decoded, Host

SCRIPTED = """
[signal]
motion_artifacts_per_min = 0

[participant]
react_to_markers = false

[[expression]]      # happy: channels 1 and 8, apex 360 counts
at_s = 1.0
emotion = "happy"
duration_ms = 2000

[[expression]]      # micro-expressions on channel 3
at_s = 4.0
channels = [3]
duration_ms = 40
amplitude_counts = 400

[[expression]]
at_s = 4.5
channels = [3]
duration_ms = 120
amplitude_counts = 400

[[expression]]
at_s = 5.0
channels = [3]
duration_ms = 450
amplitude_counts = 400
"""


def record(args: list[str], scenario: str, tmp_path: Path, n_samples: int) -> Decoded:
    """Start a fast simulator with a scenario, stream n_samples and return them decoded."""
    path = tmp_path / "scenario.toml"
    path.write_text(scenario)
    with start_simulator_process(["--fast", "--scenario", str(path), *args]) as simulator:
        host = Host(simulator.port)
        host.send(Command.START)
        decoded = host.samples(n_samples)
        host.close()
    assert (decoded.indices()[:n_samples] == np.arange(n_samples)).all()
    return decoded


def test_envelope_rest_and_active_levels_and_micro_durations(tmp_path: Path) -> None:
    counts = record(["--seed", "5"], SCRIPTED, tmp_path, 6000).counts()[:6000].astype(float)
    rest = counts[:900]
    assert (rest.mean(axis=0) >= 20).all() and (rest.mean(axis=0) <= 45).all()
    assert np.percentile(rest, 99) <= 70 and rest.min() >= 0
    apex = counts[1300:2700][:, list(EMOTION_CHANNELS["happy"])]
    assert 250 <= apex.mean() <= 480
    assert np.percentile(apex, 5) >= 150 and np.percentile(apex, 95) <= 600
    others = np.delete(counts[1000:3000], list(EMOTION_CHANNELS["happy"]), axis=1)
    assert 20 <= others.mean() <= 45
    channel = counts[:, 2]
    half_amplitude = (32 + 400) / 2
    for onset_s, duration_ms in [(4.0, 40), (4.5, 120), (5.0, 450)]:
        onset = round(onset_s * 1000)
        window = channel[onset - 100 : onset + duration_ms + 100]
        above = np.flatnonzero(window > half_amplitude)
        width_ms = above[-1] - above[0] + 1
        assert abs(width_ms - duration_ms) <= max(6, 0.1 * duration_ms), (onset_s, width_ms)
        assert abs(above[0] - 100) <= max(5, 0.05 * duration_ms), (onset_s, above[0])


def band_power(x: npt.NDArray[np.float64], low_hz: float, high_hz: float) -> float:
    """Mean Welch power of x between two frequencies at 1 kHz."""
    freqs, power = sps.welch(x - x.mean(), fs=1000, nperseg=250)
    return float(power[(freqs >= low_hz) & (freqs <= high_hz)].mean())


def test_raw_mode_has_mains_emg_bursts_and_drift(tmp_path: Path) -> None:
    counts = record(["--mode", "raw", "--seed", "2"], SCRIPTED, tmp_path, 4000).counts()
    counts = counts[:4000].astype(float)
    assert 400 <= counts[:900].mean() <= 620 and counts.max() <= 1023
    for channel in range(8):
        freqs, power = sps.welch(counts[:1000, channel], fs=1000, nperseg=1000)
        in_band = freqs >= 10
        assert freqs[in_band][np.argmax(power[in_band])] == 50.0
    active = counts[1300:2700, 0].astype(np.float64)
    rest = counts[3300:4000, 0].astype(np.float64)
    assert band_power(active, 60, 450) > 50 * band_power(rest, 60, 450)
    assert band_power(active, 20, 40) > 20 * band_power(rest, 20, 40)
    assert active.std() > 60 and rest.std() < 30


def test_raw_mode_follows_the_mains_frequency_option(tmp_path: Path) -> None:
    args = ["--mode", "raw", "--mains-hz", "60", "--seed", "9"]
    counts = record(args, "", tmp_path, 2000).counts()[:2000].astype(float)
    freqs, power = sps.welch(counts[:, 4], fs=1000, nperseg=1000)
    assert freqs[freqs >= 10][np.argmax(power[freqs >= 10])] == 60.0


REACTING = """
[signal]
motion_artifacts_per_min = 0

[participant]
latency_ms = [300, 800]
reaction_duration_ms = [1000, 2000]
micro_probability = 0.5
"""


def test_participant_reacts_to_a_stimulus_marker_on_the_right_channels(tmp_path: Path) -> None:
    path = tmp_path / "reacting.toml"
    path.write_text(REACTING)
    for emotion, seed in [("fear", "1"), ("disgust", "2"), ("anger", "3")]:
        with start_simulator_process(["--fast", "--scenario", str(path), "--seed", seed]) as sim:
            host = Host(sim.port)
            host.send(Command.START)
            host.samples(2000)
            host.send(Command.MARKER, stimulus_onset_code(emotion))
            echo = parse_marker(host.wait_frame(FrameType.MARKER, timeout_s=10).payload)
            decoded = host.samples(echo.sample_index + 3500)
            host.close()
        counts = decoded.counts()[: echo.sample_index + 3500].astype(float)
        assert counts[: echo.sample_index].max() < 120
        after = counts[echo.sample_index :]
        active = after > 120
        first = int(np.flatnonzero(active.any(axis=1))[0])
        assert 250 <= first <= 800, (emotion, first)
        active_channels = set(np.flatnonzero(active.any(axis=0)).tolist())
        assert active_channels and active_channels <= set(EMOTION_CHANNELS[emotion])
