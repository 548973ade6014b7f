"""The two architectures, each in two input modes; every model takes `(batch, rows, channels)`.

- `sample` mode (rows = 1): one multi-channel sample, as the article's code does: the
  8 channels become a sequence of 8 scalars, and the CNN convolves / the LSTM runs along the
  channel axis. It cannot see time, which caps it near 84% on the seed data.
- `window` mode (rows = T): T consecutive samples x C channels. The CNN first mixes the
  muscles of each sample (a 1x1 convolution: the spatial pattern across muscles), then
  convolves over time and averages over the window; the LSTM reads the samples in order.

All are small (a few thousand weights: well under 1 MB as ONNX) and end in a softmax over
the six emotions.
"""

from __future__ import annotations

from typing import Any

from microexp_tui.errors import InputError
from microexp_tui.training import tf_runtime

INPUT_NAME = "window"


def build_model(
    architecture: str, input_mode: str, window_rows: int, channels: int, classes: int
) -> Any:
    """A compiled-ready Keras model for one architecture and input mode."""
    _, keras = tf_runtime.load()
    layers = keras.layers
    if input_mode == "sample" and window_rows != 1:
        raise InputError("sample mode classifies one sample: its window is 1 row")
    inputs = keras.Input((window_rows, channels), name=INPUT_NAME)
    builders = {
        ("cnn", "sample"): _cnn_sample,
        ("lstm", "sample"): _lstm_sample,
        ("cnn", "window"): _cnn_window,
        ("lstm", "window"): _lstm_window,
    }
    try:
        features = builders[(architecture, input_mode)](layers, inputs, channels)
    except KeyError:
        raise InputError(
            f"Unknown architecture/input mode {architecture}/{input_mode}; use cnn or lstm, "
            "sample or window."
        ) from None
    outputs = layers.Dense(classes, activation="softmax", name="probabilities")(features)
    return keras.Model(inputs, outputs, name=f"{architecture}_{input_mode}")


def _cnn_sample(layers: Any, inputs: Any, channels: int) -> Any:
    """Conv1D along the channel axis of one sample (the article's CNN)."""
    x = layers.Reshape((channels, 1))(inputs)
    x = layers.Conv1D(32, 3, padding="same", activation="relu")(x)
    x = layers.Conv1D(32, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    return layers.Dense(64, activation="relu")(x)


def _lstm_sample(layers: Any, inputs: Any, channels: int) -> Any:
    """LSTM along the channel axis of one sample (the article's LSTM)."""
    x = layers.Reshape((channels, 1))(inputs)
    return layers.LSTM(32)(x)


def _cnn_window(layers: Any, inputs: Any, channels: int) -> Any:
    """Muscle pattern per sample (1x1 conv), temporal convolutions, mean over the window."""
    x = layers.Conv1D(16, 1, activation="relu", name="muscle_pattern")(inputs)
    x = layers.Conv1D(32, 3, padding="same", activation="relu", name="temporal")(x)
    x = layers.GlobalAveragePooling1D()(x)
    return layers.Dense(32, activation="relu")(x)


def _lstm_window(layers: Any, inputs: Any, channels: int) -> Any:
    """An LSTM over the window's samples."""
    return layers.LSTM(32)(inputs)
