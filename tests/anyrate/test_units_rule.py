"""The rules behind imported sessions: units, thresholds, artifact flags and filter corners."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from microexp_tui.analysis.microexpressions import detect_in_counts
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.dsp.activations import MIN_ON_COUNTS, unsupported_rate
from microexp_tui.dsp.artifacts import ArtifactFlag, StreamingArtifactDetector
from microexp_tui.dsp.filters import FilterSettings, StreamingFilterBank
from microexp_tui.dsp.units import WorkingUnits
from tests.anyrate.sessions import ENVELOPE_20HZ_MV, RAW_2KHZ_UV, Imported, physical_signal


def _channels(
    spec: Imported, unit: str, scale: float, rng: tuple[float, float] | None = None
) -> list[ChannelSpec]:
    """The spec's montage in `unit` at `scale` per stored unit."""
    return [
        ChannelSpec(
            i,
            f"EMG{i + 1}",
            m.name,
            spec.sensor_kind,
            m.action_units,
            unit=unit,
            scale=scale,
            physical_min=rng[0] if rng else None,
            physical_max=rng[1] if rng else None,
        )
        for i, m in enumerate(spec.muscles)
    ]


def _onsets(
    spec: Imported, stored: np.ndarray, channels: list[ChannelSpec], fmt: str
) -> list[tuple[int, tuple[int, ...]]]:
    """Onset index and channels of the expressions detected in stored values."""
    found, _ = detect_in_counts(
        [(0, stored)],
        sample_rate_hz=spec.rate_hz,
        channel_units=[c.action_units for c in channels],
        sensor_kinds=[c.sensor_kind for c in channels],
        working=WorkingUnits.physical(channels, fmt),
        flagger=StreamingArtifactDetector.for_imported(spec.rate_hz, channels, fmt),
    )
    return [(x.onset_index, x.channels) for x in found]


@pytest.mark.parametrize("spec", [ENVELOPE_20HZ_MV, RAW_2KHZ_UV], ids=lambda s: s.name)
def test_the_same_signal_in_another_unit_gives_the_same_expressions(spec: Imported) -> None:
    physical = physical_signal(spec)
    in_unit = _onsets(spec, physical.astype(np.float32), _channels(spec, spec.unit, 1.0), "float32")
    thousandfold = _onsets(
        spec, (physical * 1000).astype(np.float32), _channels(spec, "x", 1.0), "float32"
    )
    assert in_unit and in_unit == thousandfold


def test_a_board_keeps_its_count_floor_and_raw_offset() -> None:
    board = WorkingUnits.board(3)
    assert board.in_counts and list(board.min_on) == [MIN_ON_COUNTS] * 3
    assert list(board.raw_offset) == [512.0] * 3
    counts = np.array([[512, 0, 1023]], dtype=np.int16)
    assert board.convert(counts).tolist() == [[512.0, 0.0, 1023.0]]


def test_an_import_works_in_physical_units_with_one_step_as_floor() -> None:
    channels = _channels(RAW_2KHZ_UV, "uV", 0.05, (-3000.0, 3000.0))
    working = WorkingUnits.physical(channels, "int32")
    assert working.units == ("uV",) * 4 and list(working.min_on) == [0.05] * 4
    assert list(working.raw_offset) == [0.0] * 4
    np.testing.assert_allclose(
        working.convert(np.array([[20, -40, 0, 1]])), [[1.0, -2.0, 0.0, 0.05]]
    )


def test_clipping_is_flagged_at_the_ends_of_an_imported_channels_range() -> None:
    channels = _channels(RAW_2KHZ_UV, "uV", 0.05, (-3000.0, 3000.0))
    detector = StreamingArtifactDetector.for_imported(2000.0, channels, "int32")
    rng = np.random.default_rng(3)
    stored = np.round(rng.normal(0, 200, (4000, 4))).astype(np.int32)
    stored[1000:1100, 2] = 60_000  # 3000 uV: the top of the range
    flags = detector.process(stored)
    clipped = (flags & ArtifactFlag.CLIPPING) != 0
    assert clipped[1010:1100, 2].all() and not clipped[:, [0, 1, 3]].any()
    assert not clipped[:1000].any() and not clipped[1100:].any()


def test_an_unknown_range_flags_no_clipping_or_motion_but_still_flat_lines() -> None:
    channels = _channels(ENVELOPE_20HZ_MV, "mV", 1.0)
    detector = StreamingArtifactDetector.for_imported(20.0, channels, "float32")
    values = physical_signal(ENVELOPE_20HZ_MV).astype(np.float32)
    values[200:300, 4] = 0.25  # an electrode off: exactly constant
    values[400:410, :] += 1e3  # a huge jump on every channel: no range to judge it by
    flags = detector.process(values)
    assert not ((flags & (ArtifactFlag.CLIPPING | ArtifactFlag.MOTION)) != 0).any()
    flat = (flags & ArtifactFlag.FLAT_LINE) != 0
    assert flat[210:300, 4].all() and not flat[:, [0, 1, 2, 3, 5, 6, 7]].any()


def test_envelope_corners_follow_a_slow_rate_and_raw_keeps_its_band_at_4_khz() -> None:
    slow = FilterSettings(10.0)
    assert slow.envelope_cutoff_used_hz == pytest.approx(4.0)
    envelope = StreamingFilterBank(["envelope"], slow, raw_offsets=[0.0], unit="mV")
    assert (
        "4 Hz smoothing" in envelope.description[0] and "no mains notch" in envelope.description[0]
    )
    fast = StreamingFilterBank(["raw"], FilterSettings(4000.0), raw_offsets=[0.0], unit="uV")
    text = fast.description[0]
    assert "20-450 Hz" in text and "400 Hz" in text and "resting offset 0 uV" in text
    assert replace(slow, envelope_cutoff_hz=3.0).envelope_cutoff_used_hz == 3.0


def test_raw_channels_below_1000_hz_are_refused_with_the_reason() -> None:
    assert unsupported_rate(["raw"], 500.0) is not None
    assert (
        unsupported_rate(["envelope"], 20.0) is None and unsupported_rate(["raw"], 2000.0) is None
    )


def test_a_float_channels_floor_is_a_nanovolt_or_the_smallest_float() -> None:
    channels = [
        ChannelSpec(i, f"C{i}", None, "raw", unit=unit, scale=1.0)
        for i, unit in enumerate(("V", "mV", "uV", "au"))
    ]
    floors = WorkingUnits.physical(channels, "float32").min_on
    np.testing.assert_allclose(floors[:3], [1e-9, 1e-6, 1e-3])
    assert 0 < floors[3] < 1e-30
