"""Turning captured windows into electrode-check results and the participant's calibration."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.dsp import electrode_metrics as ec
from microexp_tui.dsp.calibration import measure_calibration, rest_levels
from microexp_tui.errors import StoreError
from microexp_tui.session_flow.steps import StepWindow
from microexp_tui.store.sessions import SessionStore

STORED_WAIT_S = 10.0


def wait_for_stored_samples(
    store: SessionStore, session_id: int, start_index: int, stop_index: int
) -> npt.NDArray[np.int16]:
    """Raw counts of the complete samples in [start, stop) once the writer has committed them.

    The writer batches about a second; samples lost in transit are left out.
    """
    deadline = time.monotonic() + STORED_WAIT_S
    while store.session(session_id).samples_per_channel < stop_index:
        if time.monotonic() > deadline:
            raise StoreError(
                f"Samples {start_index}-{stop_index} of session {session_id} were not saved "
                f"within {STORED_WAIT_S:.0f} s; the board or the disk may be too slow. "
                "Run the check again."
            )
        time.sleep(0.1)
    return store.read_samples(session_id, start_index, stop_index).complete_rows()


def evaluate_checks(
    montage: Sequence[ChannelSpec],
    rate_hz: float,
    mains_hz: float,
    rest: StepWindow,
    rest_counts: npt.NDArray[np.integer],
    rest_envelope: npt.NDArray[np.floating],
    contractions: Mapping[int, npt.NDArray[np.floating]],
) -> list[ElectrodeCheck]:
    """One result per channel: rest metrics on raw counts, guided contraction on envelopes."""
    kinds = [spec.sensor_kind for spec in montage]
    metrics = ec.rest_metrics(rest_counts, rate_hz, kinds, mains_hz)
    _, rest_sd = (
        rest_levels(rest_envelope) if rest_envelope.size else (None, np.zeros(len(montage)))
    )
    results = []
    for spec, metric in zip(montage, metrics, strict=True):
        grade, reasons = ec.rest_grade(metric, spec.sensor_kind)
        rise: float | None = None
        lit: bool | None = None
        window = contractions.get(spec.index)
        if window is not None:
            rise = float(ec.contraction_rise(window, rest_envelope)[spec.index])
            contraction, lit = ec.contraction_grade(
                rise, float(rest_sd[spec.index]), spec.sensor_kind
            )
            if not lit:
                reasons.append(
                    ec.contraction_reason(rise, float(rest_sd[spec.index]), spec.sensor_kind)
                )
            grade = ec.worst(grade, contraction)
        results.append(
            ElectrodeCheck(
                channel_index=spec.index,
                grade=grade,
                rest_level_counts=metric.level_counts,
                noise_counts=metric.noise_counts,
                mains_fraction=metric.mains_fraction,
                clipping_fraction=metric.clipping_fraction,
                flat_line=metric.flat_line,
                contraction_rise=rise,
                contraction_lit=lit,
                reasons="; ".join(reasons),
                rest_start_index=rest.start_index,
                rest_stop_index=rest.stop_index,
            )
        )
    return results


def weak_channels(calibration: Calibration, montage: Sequence[ChannelSpec]) -> list[int]:
    """Channel numbers (1-based) with a muscle whose span the calibration rule rejects."""
    return [
        spec.index + 1
        for spec in montage
        if spec.muscle and spec.index < calibration.count and not calibration.usable[spec.index]
    ]


def evaluate_calibration(
    rest: StepWindow,
    rest_envelope: npt.NDArray[np.floating],
    contractions: Mapping[int, tuple[StepWindow, npt.NDArray[np.floating]]],
) -> Calibration:
    """The participant's calibration from the rest window and each muscle's maximal contraction."""
    return measure_calibration(
        rest_envelope,
        {channel: envelope for channel, (_, envelope) in contractions.items()},
        rest_window=(rest.start_index, rest.stop_index),
        contraction_windows={
            channel: (window.start_index, window.stop_index)
            for channel, (window, _) in contractions.items()
        },
    )
