"""ONNX export of a trained Keras model, checked against Keras, with its model card beside it.

Export uses Keras 3's `model.export(path, format="onnx")` after one call of the model (tf2onnx's
`from_keras` fails on Keras 3 models). The exported file is run with onnxruntime on real
windows and must match the Keras outputs within 1e-5, or the export is refused.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from microexp_tui.domain.calibration import (
    MIN_SPAN_NOISE_FACTOR,
    SPAN_FLOORS,
    Calibration,
    pooled_calibration,
)
from microexp_tui.dsp.calibration import MAX_QUANTILE, REST_CUT_FRACTION, REST_QUANTILE
from microexp_tui.errors import ModelError
from microexp_tui.files import file_sha256
from microexp_tui.inference.card import CARD_FORMAT, card_path_for
from microexp_tui.inference.gate import DEFAULT_HIGH, DEFAULT_LOW
from microexp_tui.inference.normalisation import (
    CLIP_RANGE,
    IQR_PER_SD,
    LOG_SKEWNESS,
    RANGE,
    STANDARD_CLIP,
    NormalisationSpec,
    estimate_standardisation,
    median_standardisation,
)
from microexp_tui.training import tf_runtime
from microexp_tui.training.dataset import Dataset, Recording
from microexp_tui.training.fit import FitSettings, predict_probabilities

EXPORT_TOLERANCE = 1e-5
CHECK_WINDOWS = 512


def export_onnx(model: Any, path: Path, check_x: np.ndarray) -> float:
    """Write `path` and return the largest |ONNX - Keras| output difference on `check_x`."""
    sample = check_x[:CHECK_WINDOWS]
    model(sample[:1])
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # tf2onnx probes np.object
        model.export(str(path), format="onnx", verbose=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {session.get_inputs()[0].name: sample})[0]
    difference = float(np.abs(onnx_out - predict_probabilities(model, sample)).max())
    if difference > EXPORT_TOLERANCE:
        raise ModelError(
            f"The ONNX export {path} differs from the Keras model by {difference:.2e} "
            f"(> {EXPORT_TOLERANCE:g}); it was not accepted. Check the tf2onnx/onnx versions."
        )
    return difference


def normalisation_section(spec: NormalisationSpec, trained: Sequence[Recording]) -> dict[str, Any]:
    """The card's normalisation: its method and the default taken from the trained people."""
    if spec.method == RANGE:
        calibrations = [r.calibration for r in trained if r.calibration is not None]
        return range_section(pooled_calibration(calibrations))
    return standardise_section(spec, trained)


def standardise_section(spec: NormalisationSpec, trained: Sequence[Recording]) -> dict[str, Any]:
    """The card's description of per-participant standardisation and its default."""
    default = median_standardisation([estimate_standardisation(r.rows, spec) for r in trained])
    return {
        "method": spec.method,
        "log_channels": list(spec.log_channels),
        "function": "microexp_tui.inference.normalisation.standardise",
        "formula": "(x - centre) / scale per channel, x = ln(value) on log_channels, clipped "
        f"to [{STANDARD_CLIP[0]:g}, {STANDARD_CLIP[1]:g}]",
        "training_standardisation": (
            "per participant (per file), label-free from all their own rows: centre = median, "
            f"scale = interquartile range / {IQR_PER_SD:g} (SD when the IQR is 0, else 1); "
            "evaluation standardises each held-out participant the same way from their own "
            "unlabelled rows"
        ),
        "log_channels_rule": (
            "declared in dataset.toml ([[channel]] log), else detected: strictly positive in "
            f"every recording, a median skewness of at least {LOG_SKEWNESS:g}, and a smaller "
            "median |skewness| after the log"
        ),
        "live_standardisation": (
            "default_standardisation: the per-channel median of the training participants'"
        ),
        "default_standardisation": default.as_json(),
    }


def range_section(default: Calibration) -> dict[str, Any]:
    """The card's description of the calibration-range normalisation and its default."""
    return {
        "method": RANGE,
        "function": "microexp_tui.inference.normalisation.normalise",
        "formula": "(envelope - rest) / (max - rest) per channel, clipped to "
        f"[{CLIP_RANGE[0]:g}, {CLIP_RANGE[1]:g}]",
        "training_calibration": (
            "per participant, label-free from their own rows: max = the "
            f"{MAX_QUANTILE:g} quantile of each channel; rest and rest SD = median and scaled "
            f"MAD of the rows below {REST_CUT_FRACTION:g} of the way from the "
            f"{REST_QUANTILE:g} quantile to that max; evaluation calibrates each held-out "
            "participant the same way from their own unlabelled rows"
        ),
        "usable_span": (
            f"max - rest >= {MIN_SPAN_NOISE_FACTOR:g} x rest SD and >= the unit's floor "
            f"({', '.join(f'{v:g} {k}' for k, v in SPAN_FLOORS.items())}); a channel "
            f"failing it is normalised with max({MIN_SPAN_NOISE_FACTOR:g} x rest SD, floor) "
            "as its span"
        ),
        "live_calibration": (
            "the participant's calibration when one is given (rest + maximal contraction), "
            "else default_calibration: the per-channel median of the training participants'"
        ),
        "default_calibration": default.as_json(),
    }


def neutral_section(mode: str) -> dict[str, Any]:
    """The card's description of where neutral comes from (the gate, a class, or nowhere)."""
    if mode == "class":
        return {"mode": mode, "method": "neutral is a class of the network (labelled rows)"}
    if mode == "none":
        return {
            "mode": mode,
            "method": "no neutral: the data have no neutral rows and standardised values have "
            "no activation scale for the gate; the model always names one of its classes",
        }
    return {
        "mode": mode,
        "method": "activation gate (the training data has no neutral class)",
        "statistic": "largest per-channel mean of the normalised window",
        "low": DEFAULT_LOW,
        "high": DEFAULT_HIGH,
        "rule": "P(neutral) = 1 at activation <= low, 0 at >= high, linear between; emotion "
        "probabilities are the model's times 1 - P(neutral)",
    }


def preprocessing_section(dataset: Dataset) -> dict[str, Any]:
    """The card's description of what happened to the values before normalisation."""
    rows = (
        "recorded samples filtered like a live recording, then block means at the row rate"
        if dataset.kind == "sessions"
        else "CSV rows used as they are (each row one sample or feature vector)"
    )
    return {
        "rows": rows,
        "units": list(dataset.units),
        "sensor_kinds": sorted({c.sensor_kind for c in dataset.channels}),
        "normalisation": dataset.normalisation.as_json(),
    }


def input_section(settings: FitSettings, dataset: Dataset, stride_rows: int) -> dict[str, Any]:
    """The card's input description."""
    return {
        "name": "window",
        "layout": "(batch, rows, channels), float32, normalised values",
        "rate_hz": dataset.rate_hz,
        "window_rows": settings.window_rows,
        "window_ms": 1000.0 * settings.window_rows / dataset.rate_hz,
        "training_stride_rows": stride_rows,
        "live": (
            "the filtered envelope (the live filter chain) averaged over consecutive blocks "
            f"of sample_rate_hz / {dataset.rate_hz:g} samples aligned to sample 0; the last "
            "window_rows rows are classified every hop (default 100 ms)"
        ),
    }


def write_card(onnx_path: Path, card: dict[str, Any]) -> Path:
    """Complete the card with the file's identity and write it beside the model."""
    digest = file_sha256(onnx_path)
    card = {
        "format": CARD_FORMAT,
        "model_id": f"{card['architecture']}-{card['input_mode']}-"
        f"{card['input']['window_rows']}x{len(card['channels'])}-{digest[:12]}",
        "onnx_file": onnx_path.name,
        "onnx_sha256": digest,
        "onnx_bytes": onnx_path.stat().st_size,
        **card,
        "versions": tf_runtime.library_versions(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = card_path_for(onnx_path)
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return path
