"""Model cards: the JSON beside every exported model, read and checked before the model is used.

A card says what the model expects (channel order and muscles, sensor kind, row rate, window
length, normalisation and its default calibration, the neutral gate) and how it was made and
measured (data and its hash, protocol and metrics, library versions, date). Only the fields
needed to run the model are parsed into `ModelCard`; the whole document stays in `raw`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.errors import InputError, ModelError
from microexp_tui.inference.gate import NeutralGate

CARD_FORMAT = "microexp-model-card/1"
CARD_SUFFIX = ".card.json"
ARCHITECTURES = ("cnn", "lstm")
INPUT_MODES = ("sample", "window")


def card_path_for(model_path: Path) -> Path:
    """Where the card of `model_path` lives: same folder, `<stem>.card.json`."""
    return model_path.with_name(model_path.stem + CARD_SUFFIX)


@dataclass(frozen=True)
class ChannelInfo:
    """One model input channel: its seed column name, muscle, action units and sensor kind."""

    name: str
    muscle: str
    sensor_kind: str
    action_units: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """JSON form for the card."""
        return {
            "name": self.name,
            "muscle": self.muscle,
            "action_units": list(self.action_units),
            "sensor_kind": self.sensor_kind,
        }


@dataclass(frozen=True)
class ModelCard:
    """What is needed to run a model, parsed and checked from its card."""

    model_id: str
    architecture: str
    input_mode: str
    classes: tuple[str, ...]
    rate_hz: float
    window_rows: int
    channels: tuple[ChannelInfo, ...]
    calibration: Calibration
    gate: NeutralGate
    onnx_sha256: str
    raw: dict[str, Any]

    @property
    def output_classes(self) -> tuple[str, ...]:
        """Classes of a classification result: neutral (from the gate) then the model's."""
        return (NEUTRAL, *self.classes)

    @property
    def window_ms(self) -> float:
        """Length of the model's window in milliseconds."""
        return 1000.0 * self.window_rows / self.rate_hz


class _Fields:
    """A card being read, able to name the file and field in every error."""

    def __init__(self, source: Path, data: Any) -> None:
        """Wrap the parsed JSON document."""
        self.source = source
        if not isinstance(data, dict):
            raise self.error("the card", "must be a JSON object")
        self.data: dict[str, Any] = data

    def error(self, field: str, message: str) -> ModelError:
        """ModelError naming the card file and the field."""
        return ModelError(
            f"Model card {self.source}: {field} {message}. Re-export the model with "
            "`microexp train` (which writes the card), or restore the original card."
        )

    def get(self, path: str, kind: type | tuple[type, ...]) -> Any:
        """The value at a dotted path, of the given JSON type."""
        value: Any = self.data
        for key in path.split("."):
            if not isinstance(value, dict) or key not in value:
                raise self.error(f"field '{path}'", "is missing")
            value = value[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise self.error(f"field '{path}'", f"has the wrong type ({type(value).__name__})")
        return value


def _channels(fields: _Fields) -> tuple[ChannelInfo, ...]:
    """The channel list, each with a muscle and a known sensor kind."""
    items = fields.get("channels", list)
    channels = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("muscle"), str):
            raise fields.error(f"channel {number}", "needs a 'muscle' name")
        kind = item.get("sensor_kind")
        if kind not in SENSOR_KINDS:
            raise fields.error(f"channel {number} sensor_kind", f"must be one of {SENSOR_KINDS}")
        units = tuple(str(unit) for unit in item.get("action_units", []))
        channels.append(ChannelInfo(str(item.get("name", "")), item["muscle"], kind, units))
    if not channels:
        raise fields.error("field 'channels'", "is empty")
    return tuple(channels)


def _classes(fields: _Fields) -> tuple[str, ...]:
    """The model's output classes: distinct emotions of the domain."""
    classes = tuple(fields.get("classes", list))
    if not classes or len(set(classes)) != len(classes) or not set(classes) <= set(EMOTIONS):
        raise fields.error("field 'classes'", f"must list distinct emotions from {EMOTIONS}")
    return classes


def parse_card(data: Any, source: Path) -> ModelCard:
    """Check a card document and return what is needed to run its model."""
    fields = _Fields(source, data)
    if fields.get("format", str) != CARD_FORMAT:
        raise fields.error("field 'format'", f"must be {CARD_FORMAT!r}")
    architecture = fields.get("architecture", str)
    mode = fields.get("input_mode", str)
    if architecture not in ARCHITECTURES or mode not in INPUT_MODES:
        raise fields.error("architecture/input_mode", f"must be in {ARCHITECTURES}/{INPUT_MODES}")
    rate_hz = float(fields.get("input.rate_hz", (int, float)))
    rows = fields.get("input.window_rows", int)
    if rate_hz <= 0 or rows < 1:
        raise fields.error("input", "needs rate_hz > 0 and window_rows >= 1")
    try:
        calibration = Calibration.from_json(fields.get("normalisation.default_calibration", dict))
        gate = NeutralGate(
            float(fields.get("neutral.low", (int, float))),
            float(fields.get("neutral.high", (int, float))),
        )
    except InputError as err:
        raise fields.error("field 'normalisation.default_calibration'", str(err)) from err
    channels = _channels(fields)
    if calibration.count != len(channels):
        raise fields.error("default calibration", f"must have {len(channels)} channels")
    return ModelCard(
        model_id=fields.get("model_id", str),
        architecture=architecture,
        input_mode=mode,
        classes=_classes(fields),
        rate_hz=rate_hz,
        window_rows=rows,
        channels=channels,
        calibration=calibration,
        gate=gate,
        onnx_sha256=fields.get("onnx_sha256", str),
        raw=fields.data,
    )


def read_card(path: Path) -> ModelCard:
    """Read and check the card at `path`; ModelError when missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(
            f"No model card at {path}. Every model needs its JSON card beside it (written by "
            "`microexp train`); copy the card together with the .onnx file."
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(f"Cannot read the model card {path}: {err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelError(
            f"Model card {path} is not valid JSON ({err}); restore it or re-export the model."
        ) from err
    return parse_card(data, path)
