"""An emotion model as the classifier of detected expressions (one window per expression).

The expression detector cuts a `window_samples` stretch of the filtered envelope around each
expression's apex; this averages it down to the model's rows (block means, as live
classification does; `scipy.signal.resample_poly` when the session's rate is no whole multiple
of the model's), normalises it with the participant's calibration and returns the
network's probabilities of the six emotions. The neutral gate is not applied: the detector
already established that muscles are active, and a brief micro-expression would otherwise
read as rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import scipy.signal

from microexp_tui.domain.calibration import Calibration
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.resample import rate_ratio
from microexp_tui.inference.windows import block_means, whole_factor


class ModelWindowClassifier:
    """Emotion probabilities of one expression window from an ONNX model (checked montage)."""

    def __init__(
        self,
        model: EmotionModel,
        sample_rate_hz: float,
        muscles: Sequence[str | None],
        sensor_kinds: Sequence[str],
        calibration: Calibration | None = None,
        calibration_of: Callable[[], Calibration | None] | None = None,
        units: Sequence[str] | None = None,
    ) -> None:
        """ModelError when the model does not fit the montage, sensor kinds, units or rate.

        `calibration_of`, when given, is asked for the calibration at every window (a live
        recording's calibration changes when the participant is calibrated mid-session);
        `units` are the channels' working units (None: ADC counts, not checked).
        """
        self.model = model
        model.check_channels(muscles, sensor_kinds, units)
        self.factor = whole_factor(sample_rate_hz, model.card.rate_hz) or 0
        self.up, self.down = (
            (1, self.factor) if self.factor else rate_ratio(sample_rate_hz, model.card.rate_hz)
        )
        self.calibration = calibration or model.card.calibration
        self.calibration_of = calibration_of

    @property
    def window_samples(self) -> int:
        """The model's window in session samples."""
        return -(-self.model.card.window_rows * self.down // self.up)

    @property
    def name(self) -> str:
        """The model id."""
        return self.model.model_id

    def probabilities(self, envelope: npt.NDArray[np.floating]) -> dict[str, float]:
        """Probability of each of the model's emotions for a `(window_samples, channels)` window."""
        rows = self.model.card.window_rows
        if self.factor:
            _, means = block_means(np.asarray(envelope)[: rows * self.factor], 0, self.factor)
        else:
            resampled = scipy.signal.resample_poly(
                np.asarray(envelope, dtype=np.float64), self.up, self.down, axis=0, padtype="line"
            )
            means = np.asarray(resampled[:rows], dtype=np.float32)
        calibration = self.calibration_of() if self.calibration_of else self.calibration
        window = self.model.card.normalise(means, calibration)[None, :, :]
        output = self.model.model_probabilities(window)[0]
        return {label: float(p) for label, p in zip(self.model.card.classes, output, strict=True)}
