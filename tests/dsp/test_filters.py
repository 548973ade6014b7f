"""Streaming filter bank: chunk invariance, frequency response, causality, baseline, settings."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.dsp.filters import (
    ADC_MIDPOINT_COUNTS,
    FilterSettings,
    StreamingFilterBank,
    bandpass_sos,
    envelope_lowpass_sos,
    raw_prefilter_sos,
)
from microexp_tui.errors import InputError
from tests.dsp import envelope_counts, raw_counts

RATE_HZ = 1000.0
SINE_AMPLITUDE_COUNTS = 300.0
MEAN_RECTIFIED = 2.0 / np.pi
"""Average rectified value of a unit sine: the raw envelope of amplitude A settles at 2A/pi."""


def sine_counts(freq_hz: float, seconds: float = 4.0, rate_hz: float = RATE_HZ) -> np.ndarray:
    """One-channel uint16 counts of a sine around Vref/2."""
    t_s = np.arange(int(seconds * rate_hz)) / rate_hz
    wave = ADC_MIDPOINT_COUNTS + SINE_AMPLITUDE_COUNTS * np.sin(2 * np.pi * freq_hz * t_s)
    return np.round(wave).astype(np.uint16)[:, None]


def chain_gain_db(freq_hz: float, filter_settings: FilterSettings) -> float:
    """Steady-state gain of the raw chain before rectification, read from its envelope level."""
    envelope = StreamingFilterBank(["raw"], filter_settings).process(sine_counts(freq_hz))
    level = float(envelope[3000:4000, 0].mean())
    return float(20 * np.log10(level / (MEAN_RECTIFIED * SINE_AMPLITUDE_COUNTS)))


def bandpass_only_gain_db(freq_hz: float, filter_settings: FilterSettings) -> float:
    """Steady-state gain of the band-pass stage alone on the same sine."""
    wave = sine_counts(freq_hz)[:, 0] - ADC_MIDPOINT_COUNTS
    out = scipy.signal.sosfilt(bandpass_sos(filter_settings), wave)
    return float(20 * np.log10(np.abs(out[3000:4000]).mean() / (MEAN_RECTIFIED * 300.0)))


def chunked(bank: StreamingFilterBank, counts: np.ndarray, cuts: list[int]) -> np.ndarray:
    """Process `counts` split at `cuts` and join the outputs."""
    edges = sorted({min(cut, len(counts)) for cut in cuts})
    return np.concatenate([bank.process(part) for part in np.split(counts, edges)])


# --- chunk invariance -------------------------------------------------------------------------

KIND_SETS = [
    ["raw", "raw", "raw"],
    ["envelope", "envelope"],
    ["raw", "envelope", "envelope", "raw"],
]


@pytest.mark.parametrize("kinds", KIND_SETS, ids=["raw", "envelope", "mixed"])
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate_hz=st.sampled_from([200.0, 1000.0]),
    samples=st.integers(1, 3000),
    cuts=st.lists(st.integers(0, 3000), max_size=8),
)
def test_chunked_output_equals_one_pass(
    kinds: list[str], seed: int, rate_hz: float, samples: int, cuts: list[int]
) -> None:
    """Any chunking gives the one-pass output: state carries exactly across calls."""
    rng = np.random.default_rng(seed)
    walk = 512 + np.cumsum(rng.normal(0, 20, (samples, len(kinds))), axis=0)
    counts = np.clip(walk + rng.integers(-40, 40, walk.shape), 0, 1023).astype(np.uint16)
    filter_settings = FilterSettings(rate_hz, baseline_cutoff_hz=1.0)
    bank = StreamingFilterBank(kinds, filter_settings)
    whole = bank.process(counts)
    bank.reset()
    np.testing.assert_allclose(chunked(bank, counts, cuts), whole, rtol=1e-6, atol=1e-4)
    assert whole.dtype == np.float32 and whole.shape == counts.shape


def test_mixed_bank_matches_single_kind_banks() -> None:
    """Grouping by kind changes nothing: a mixed bank equals one bank per kind."""
    rng = np.random.default_rng(7)
    raw = raw_counts(rng, 12.0, channels=2)
    env = envelope_counts(rng, 12.0, channels=2)
    mixed = np.stack([raw[:, 0], env[:, 0], raw[:, 1], env[:, 1]], axis=1)
    filter_settings = FilterSettings(RATE_HZ)
    out = StreamingFilterBank(["raw", "envelope", "raw", "envelope"], filter_settings).process(
        mixed
    )
    raw_out = StreamingFilterBank(["raw", "raw"], filter_settings).process(raw)
    env_out = StreamingFilterBank(["envelope", "envelope"], filter_settings).process(env)
    np.testing.assert_array_equal(out[:, [0, 2]], raw_out)
    np.testing.assert_array_equal(out[:, [1, 3]], env_out)


# --- frequency response -----------------------------------------------------------------------


@pytest.mark.parametrize("freq_hz", [40.0, 70.0, 90.0, 125.0, 175.0, 225.0, 275.0, 325.0, 375.0])
def test_raw_chain_passes_emg_band_between_mains_harmonics(freq_hz: float) -> None:
    """Midway between mains harmonics the raw chain passes 40-400 Hz within 1 dB.

    Notches have constant Q (width = f/30), so 390 Hz, 10 Hz from the 400 Hz notch, loses 1.6 dB.
    """
    assert abs(chain_gain_db(freq_hz, FilterSettings(RATE_HZ))) < 1.0


def test_raw_chain_rejects_5_hz_strongly() -> None:
    """Movement and drift band (5 Hz) is attenuated by at least 40 dB."""
    assert chain_gain_db(5.0, FilterSettings(RATE_HZ)) < -40.0


@pytest.mark.parametrize(
    ("mains_hz", "freq_hz"),
    [(50.0, 50.0 * k) for k in range(1, 9)] + [(60.0, 60.0 * k) for k in range(1, 8)],
)
def test_mains_and_harmonics_attenuated_30_db(mains_hz: float, freq_hz: float) -> None:
    """Mains and its in-band harmonics lose at least 30 dB; the band-pass alone passes them."""
    filter_settings = FilterSettings(RATE_HZ, mains_hz=mains_hz)
    assert chain_gain_db(freq_hz, filter_settings) < -30.0
    assert bandpass_only_gain_db(freq_hz, filter_settings) > -1.0


def test_60_hz_settings_leave_50_hz_alone() -> None:
    """With 60 Hz mains a 50 Hz component is signal, not interference."""
    assert abs(chain_gain_db(50.0, FilterSettings(RATE_HZ, mains_hz=60.0))) < 1.0


def test_raw_envelope_tracks_burst_amplitude() -> None:
    """A 100 Hz burst gives an envelope at its average rectified value, flat outside it.

    100 Hz is the 2nd harmonic of 50 Hz mains (notched), so this burst runs with 60 Hz mains.
    """
    t_s = np.arange(6000) / RATE_HZ
    gate = (t_s >= 2.0) & (t_s < 4.0)
    wave = ADC_MIDPOINT_COUNTS + 200.0 * gate * np.sin(2 * np.pi * 100.0 * t_s)
    counts = np.round(wave).astype(np.uint16)[:, None]
    envelope = StreamingFilterBank(["raw"], FilterSettings(RATE_HZ, mains_hz=60.0)).process(counts)
    expected = MEAN_RECTIFIED * 200.0
    np.testing.assert_allclose(envelope[2500:4000, 0], expected, rtol=0.05)
    assert np.abs(envelope[:2000, 0]).max() < 0.02 * expected
    assert np.abs(envelope[4500:, 0]).max() < 0.05 * expected


def test_float32_chain_matches_float64_reference() -> None:
    """float32 filtering stays within 0.05 counts of the same design run in float64."""
    counts = raw_counts(np.random.default_rng(3), 30.0, channels=2)
    filter_settings = FilterSettings(RATE_HZ)
    ours = StreamingFilterBank(["raw", "raw"], filter_settings).process(counts)
    x = counts.astype(np.float64) - ADC_MIDPOINT_COUNTS
    pre = raw_prefilter_sos(filter_settings)
    zi = scipy.signal.sosfilt_zi(pre)[:, :, None] * x[0][None, None, :]
    band, _ = scipy.signal.sosfilt(pre, x, axis=0, zi=zi)
    reference = scipy.signal.sosfilt(envelope_lowpass_sos(filter_settings), np.abs(band), axis=0)
    np.testing.assert_allclose(ours, reference, atol=0.05)


# --- envelope kind: baseline ------------------------------------------------------------------


DRIFT_COUNTS_PER_S = 20.0 / 60.0
WINDOW_S = FilterSettings(RATE_HZ).baseline_window_s


def contraction_counts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Envelope counts: offset 80, drift +20 counts/min, noise, one 3 s contraction of +250."""
    t_s = np.arange(int(60 * RATE_HZ)) / RATE_HZ
    edge = np.clip((t_s - 30.0) / 0.2, 0.0, 1.0) - np.clip((t_s - 32.8) / 0.2, 0.0, 1.0)
    ramp = 0.5 - 0.5 * np.cos(np.pi * edge)  # raised-cosine 200 ms edges, no undershoot
    signal = 80.0 + DRIFT_COUNTS_PER_S * t_s + 250.0 * ramp + rng.normal(0, 2.0, t_s.size)
    return np.round(signal).astype(np.uint16)[:, None], t_s


def test_envelope_chain_removes_offset_and_drift_keeps_3_s_contraction() -> None:
    """Offset goes, a rising drift leaves at most drift x window + 1.5 counts, the 3 s
    contraction keeps its level within 3%, and the output never goes negative."""
    counts, t_s = contraction_counts(np.random.default_rng(11))
    out = StreamingFilterBank(["envelope"], FilterSettings(RATE_HZ)).process(counts)[:, 0]
    rest = (t_s > 20.0) & (t_s < 30.0)
    plateau = (t_s > 30.5) & (t_s < 32.5)
    after = (t_s > 34.0) & (t_s < 44.0)
    drift_residual = DRIFT_COUNTS_PER_S * WINDOW_S + 1.5
    assert out[rest].mean() < drift_residual
    assert out[after].mean() < drift_residual
    assert abs(out[plateau].mean() - 250.0) < 0.03 * 250.0
    assert out.min() >= 0.0


def test_envelope_chain_removes_constant_offset() -> None:
    """A constant resting offset with noise leaves about one count (the noise above its minimum)."""
    rng = np.random.default_rng(12)
    counts = np.round(95.0 + rng.normal(0.0, 2.0, (30000, 2))).astype(np.uint16)
    out = StreamingFilterBank(["envelope"] * 2, FilterSettings(RATE_HZ)).process(counts)
    assert out[5000:].mean() < 1.5 and out[5000:].max() < 3.0


def test_envelope_chain_follows_a_falling_baseline_at_once() -> None:
    """A drop of the resting level (electrode settling) does not leave the output stuck high."""
    level = np.where(np.arange(20000) < 10000, 120, 60).astype(np.uint16)[:, None]
    out = StreamingFilterBank(["envelope"], FilterSettings(RATE_HZ)).process(level)[:, 0]
    assert np.abs(out[:9000]).max() < 0.5
    assert np.abs(out[10500:]).max() < 0.5


# --- causality --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["raw", "envelope"])
def test_impulse_changes_nothing_before_it(kind: str) -> None:
    """An impulse at sample k leaves outputs before k bit-identical and changes sample k."""
    rng = np.random.default_rng(5)
    base = (
        raw_counts(rng, 3.0, channels=1) if kind == "raw" else envelope_counts(rng, 3.0, channels=1)
    )
    impulse = base.copy()
    k = 1700
    impulse[k, 0] += 300
    filter_settings = FilterSettings(RATE_HZ)
    plain = StreamingFilterBank([kind], filter_settings).process(base)
    kicked = StreamingFilterBank([kind], filter_settings).process(impulse)
    np.testing.assert_array_equal(kicked[:k], plain[:k])
    assert kicked[k, 0] != plain[k, 0]


# --- settings and inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"sample_rate_hz": 0.0}, "positive rate"),
        ({"mains_hz": 55.0}, "use 50 or 60"),
        ({"mains_harmonics": -1}, "0 disables"),
        ({"notch_q": 0.0}, "notch_q"),
        ({"bandpass_low_hz": 0.0}, "15-25 Hz"),
        ({"bandpass_low_hz": 300.0, "bandpass_high_hz": 200.0}, "raise bandpass_high_hz"),
        ({"bandpass_high_hz": 600.0}, "lower bandpass_high_hz"),
        ({"envelope_cutoff_hz": 700.0}, "3-10 Hz"),
        ({"baseline_cutoff_hz": 10.0}, "below the envelope cutoff"),
    ],
)
def test_bad_settings_say_what_to_change(kwargs: dict[str, float], hint: str) -> None:
    """Each impossible setting raises InputError naming the fix."""
    values = {"sample_rate_hz": RATE_HZ, **kwargs}
    with pytest.raises(InputError, match=hint):
        FilterSettings(**values)  # type: ignore[arg-type]


def test_band_edge_message_names_nyquist() -> None:
    """The message gives the edge, the Nyquist limit and the rate."""
    with pytest.raises(InputError) as caught:
        FilterSettings(RATE_HZ, bandpass_high_hz=600.0)
    assert "600 Hz must be below Nyquist 500 Hz at 1000 Hz sampling" in str(caught.value)


def test_default_high_edge_is_clamped_at_low_rates() -> None:
    """The default 450 Hz edge drops to 90% of Nyquist; envelope-only low rates just work."""
    assert FilterSettings(500.0).bandpass_edges_hz == (20.0, 225.0)
    bank = StreamingFilterBank(["envelope"], FilterSettings(40.0, envelope_cutoff_hz=5.0))
    assert bank.process(np.full((100, 1), 50, np.uint16)).shape == (100, 1)
    with pytest.raises(InputError, match="raw channels need a faster rate"):
        StreamingFilterBank(["raw"], FilterSettings(40.0, envelope_cutoff_hz=5.0))


def test_bad_kinds_and_shapes_raise_input_error() -> None:
    """Unknown kinds and mis-shaped chunks are reported, not crashed on."""
    with pytest.raises(InputError, match="'envelope' or 'raw'"):
        StreamingFilterBank(["emg"], FilterSettings(RATE_HZ))
    bank = StreamingFilterBank(["raw", "raw"], FilterSettings(RATE_HZ))
    with pytest.raises(InputError, match="one column per configured channel"):
        bank.process(np.zeros((10, 3), np.uint16))
    assert bank.process(np.zeros((0, 2), np.uint16)).shape == (0, 2)


def test_description_lists_each_channel_chain() -> None:
    """One description per channel, with the actual edges and notch frequencies."""
    bank = StreamingFilterBank(["raw", "envelope"], FilterSettings(RATE_HZ, mains_hz=60.0))
    raw_text, env_text = bank.description
    assert "band-pass 20-450 Hz" in raw_text and "60, 120, 180, 240, 300, 360, 420 Hz" in raw_text
    assert "rectification" in raw_text and "resting floor" in env_text
    assert "60, 120, 180, 240, 300, 360, 420, 480 Hz" in env_text  # below Nyquist, not the band
