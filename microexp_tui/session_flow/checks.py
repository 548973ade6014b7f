"""Turning captured windows into electrode-check results and a calibration for the store."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.dsp import electrode_metrics as ec
from microexp_tui.dsp.calibration import ChannelNorm, compute_norms, rest_levels
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
                reasons.append(f"contraction did not light the channel (+{rise:.0f})")
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


def evaluate_calibration(
    rest: StepWindow,
    rest_envelope: npt.NDArray[np.floating],
    contractions: Mapping[int, tuple[StepWindow, npt.NDArray[np.floating]]],
) -> list[ChannelCalibration]:
    """Per-channel normalisation from the rest window and each muscle's maximal contraction."""
    norms = compute_norms(rest_envelope, {ch: env for ch, (_, env) in contractions.items()})
    result = []
    for channel, norm in enumerate(norms):
        window = contractions.get(channel)
        result.append(
            ChannelCalibration(
                channel_index=channel,
                baseline=norm.baseline,
                rest_sd=norm.rest_sd,
                max_value=norm.max_value,
                valid=norm.valid,
                rest_start_index=rest.start_index,
                rest_stop_index=rest.stop_index,
                mvc_start_index=window[0].start_index if window else None,
                mvc_stop_index=window[0].stop_index if window else None,
            )
        )
    return result


def norms_of(calibration: Sequence[ChannelCalibration]) -> list[ChannelNorm]:
    """Stored calibration rows as normalisations for the event detector and the traces."""
    return [ChannelNorm(c.baseline, c.rest_sd, c.max_value, c.valid) for c in calibration]
