"""An exported emotion model and its card, loaded with onnxruntime and checked before use.

`EmotionModel.load(path)` refuses (ModelError, never a crash) a missing, corrupt or replaced
file, a card that does not describe the file, and later a session whose montage or rate the
model was not made for. `classify` runs normalised `(windows, rows, channels)` float32
windows through the model and the neutral gate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from microexp_tui.domain.calibration import COUNTS
from microexp_tui.errors import ModelError
from microexp_tui.inference.card import ChannelInfo, ModelCard, card_path_for, read_card
from microexp_tui.inference.fit import check_fit
from microexp_tui.inference.gate import gated_probabilities, window_activation
from microexp_tui.inference.windows import decimation_factor

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class WindowResults:
    """Classification of a batch of windows: probabilities over `classes`, neutral first."""

    classes: tuple[str, ...]
    probabilities: FloatArray
    """(windows, classes) float32, rows sum to 1."""
    activation: FloatArray
    """(windows,) largest channel mean, as a fraction of the participant's range."""

    @property
    def label_indices(self) -> npt.NDArray[np.int64]:
        """Index into `classes` of the most probable class of each window."""
        return np.asarray(self.probabilities.argmax(axis=1), dtype=np.int64)

    @property
    def labels(self) -> list[str]:
        """The most probable class of each window."""
        return [self.classes[i] for i in self.label_indices]


def _session(path: Path, data: bytes) -> ort.InferenceSession:
    """An onnxruntime session on one thread (it shares the machine with the recorder)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types for bad files
        raise ModelError(
            f"{path} is not a usable ONNX model ({type(err).__name__}: {str(err)[:200]}). "
            "Re-export it with `microexp train` or restore the original file."
        ) from err


class EmotionModel:
    """An ONNX emotion classifier with its card; thread-safe for concurrent `classify` calls."""

    def __init__(self, path: Path, card: ModelCard, session: ort.InferenceSession) -> None:
        """Wrap a checked session; use `EmotionModel.load`."""
        self.path = path
        self.card = card
        self._session = session
        self._input_name = session.get_inputs()[0].name

    @classmethod
    def load(cls, path: str | Path) -> EmotionModel:
        """Load `path` and its card; ModelError when either is missing, corrupt or mismatched."""
        model_path = Path(path)
        if not model_path.is_file():
            raise ModelError(
                f"No model file at {model_path}. Give the path of an exported .onnx model "
                "(the shipped ones are in models/)."
            )
        card = read_card(card_path_for(model_path))
        data = model_path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != card.onnx_sha256:
            raise ModelError(
                f"{model_path} does not match its card (SHA-256 {digest[:12]}... instead of "
                f"{card.onnx_sha256[:12]}...): the file is corrupt or was replaced. Restore "
                "the pair (.onnx and .card.json) as exported together."
            )
        session = _session(model_path, data)
        _check_signature(model_path, card, session)
        return cls(model_path, card, session)

    @property
    def model_id(self) -> str:
        """The card's model id (architecture, mode, window and a hash of the file)."""
        return self.card.model_id

    def model_probabilities(self, windows: np.ndarray) -> FloatArray:
        """The network's softmax over the card's classes for `(windows, rows, channels)`."""
        batch = np.ascontiguousarray(windows, dtype=np.float32)
        expected = (self.card.window_rows, len(self.card.channels))
        if batch.ndim != 3 or batch.shape[1:] != expected:
            raise ModelError(
                f"Model {self.model_id} takes windows shaped (n, {expected[0]}, {expected[1]}), "
                f"got {batch.shape}."
            )
        if batch.shape[0] == 0:
            return np.empty((0, len(self.card.classes)), dtype=np.float32)
        output = self._session.run(None, {self._input_name: batch})[0]
        return np.asarray(output, dtype=np.float32)

    def classify(self, windows: np.ndarray) -> WindowResults:
        """Probabilities over `output_classes` of normalised `(windows, rows, channels)` windows."""
        activation = window_activation(windows) if len(windows) else np.empty(0, np.float32)
        probabilities = self.model_probabilities(windows)
        if self.card.gate is not None:
            probabilities = gated_probabilities(probabilities, activation, self.card.gate)
        return WindowResults(self.card.output_classes, probabilities, activation)

    def check_montage(
        self, muscles: Sequence[str | None], sensor_kinds: Sequence[str], sample_rate_hz: float
    ) -> int:
        """Refuse a session the model was not made for; return samples per model row."""
        self.check_channels(muscles, sensor_kinds)
        return decimation_factor(sample_rate_hz, self.card.rate_hz)

    def check_channels(
        self,
        muscles: Sequence[str | None],
        sensor_kinds: Sequence[str],
        units: Sequence[str] | None = None,
    ) -> None:
        """Refuse a session whose channel count, muscles, sensor kinds or units (when given)
        the model does not fit: `inference.fit`'s one rule, naming the channel."""
        model_units = [c.unit for c in self.card.channels]
        channels = [
            ChannelInfo("", muscle or "", kind, (), _unit_at(units or model_units, index))
            for index, (muscle, kind) in enumerate(zip(muscles, sensor_kinds, strict=True))
        ]
        check_fit(
            self.card,
            channels,
            "the session",
        )


def _unit_at(units: Sequence[str], index: int) -> str:
    """The unit of channel `index` (counts past the end: the count check refuses those)."""
    return units[index] if index < len(units) else COUNTS


def _check_signature(path: Path, card: ModelCard, session: ort.InferenceSession) -> None:
    """The ONNX input and output shapes must be the card's window and classes."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    expected = [card.window_rows, len(card.channels)]
    shape = list(inputs[0].shape) if len(inputs) == 1 else []
    if len(shape) != 3 or shape[1:] != expected:
        raise ModelError(
            f"{path} takes input {[i.shape for i in inputs]} but its card describes windows of "
            f"{expected[0]} rows x {expected[1]} channels: the card belongs to another model. "
            "Restore the pair as exported together."
        )
    out_shape = list(outputs[0].shape) if outputs else []
    if len(out_shape) != 2 or out_shape[1] != len(card.classes):
        raise ModelError(
            f"{path} outputs {out_shape} but its card lists {len(card.classes)} classes: the "
            "card belongs to another model. Restore the pair as exported together."
        )
