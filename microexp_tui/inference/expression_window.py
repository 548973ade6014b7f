"""An emotion model as the classifier of detected expressions (one window per expression).

The expression detector cuts a `window_samples` stretch of the filtered envelope around each
expression's apex; this averages it down to the model's rows (block means, as live
classification does), normalises it with the participant's calibration and returns the
network's probabilities of the six emotions. The neutral gate is not applied: the detector
already established that muscles are active, and a brief micro-expression would otherwise
read as rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import Calibration
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.windows import block_means


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
    ) -> None:
        """ModelError when the model does not fit the montage, sensor kinds or rate.

        `calibration_of`, when given, is asked for the calibration at every window (a live
        recording's calibration changes when the participant is calibrated mid-session).
        """
        self.model = model
        self.factor = model.check_montage(muscles, sensor_kinds, sample_rate_hz)
        self.calibration = calibration or model.card.calibration
        self.calibration_of = calibration_of

    @property
    def window_samples(self) -> int:
        """The model's window in session samples."""
        return self.model.card.window_rows * self.factor

    @property
    def name(self) -> str:
        """The model id."""
        return self.model.model_id

    def probabilities(self, envelope: npt.NDArray[np.floating]) -> dict[str, float]:
        """Probability of each of the model's emotions for a `(window_samples, channels)` window."""
        rows = self.model.card.window_rows
        _, means = block_means(np.asarray(envelope)[: rows * self.factor], 0, self.factor)
        calibration = self.calibration_of() if self.calibration_of else self.calibration
        window = self.model.card.normalise(means, calibration)[None, :, :]
        output = self.model.model_probabilities(window)[0]
        return {label: float(p) for label, p in zip(self.model.card.classes, output, strict=True)}
