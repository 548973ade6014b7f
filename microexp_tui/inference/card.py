"""Model cards: the JSON beside every exported model, read and checked before the model is used.

A card says what the model expects (channel order and muscles, sensor kind, row rate, window
length, normalisation and its default calibration, the neutral gate) and how it was made and
measured (data and its hash, protocol and metrics, library versions, date). Only the fields
needed to run the model are parsed into `ModelCard`; the whole document stays in `raw`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.errors import InputError, ModelError
from microexp_tui.inference.gate import NeutralGate
from microexp_tui.schema.problems import Problem, invalid, validate_file
from microexp_tui.schema.reader import PersonFile, read_person_file
from microexp_tui.schema.types import FiniteFloat, Line, Title, one_of

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


CARD_HINT = (
    "Re-export the model with `microexp train` (which writes the card), or restore the "
    "original card."
)
MAX_WINDOW_ROWS = 100_000


class _CardPart(BaseModel):
    """Base of the card's schema: what runs the model is checked strictly, the rest is kept.

    A card is written by `microexp train` and documents itself (data, metrics, formulas), so
    keys beyond these are description, kept whole in `ModelCard.raw`, not typing mistakes.
    """

    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False, frozen=True)


class CardInput(_CardPart):
    """`input`: the row rate and window length the model was trained on."""

    rate_hz: Annotated[float, Field(gt=0, le=100_000)]
    window_rows: Annotated[int, Field(ge=1, le=MAX_WINDOW_ROWS)]


class CardChannel(_CardPart):
    """One entry of `channels`: a model input channel."""

    name: Line = ""
    muscle: Title
    sensor_kind: Annotated[str, AfterValidator(one_of(SENSOR_KINDS))]
    action_units: list[Line] = Field(default_factory=list)

    def to_info(self) -> ChannelInfo:
        """The channel as the rest of the program sees it."""
        return ChannelInfo(self.name, self.muscle, self.sensor_kind, tuple(self.action_units))


class CardNormalisation(_CardPart):
    """`normalisation`: its default calibration is checked by `Calibration.from_json`."""

    default_calibration: dict[str, Any]


class CardNeutral(_CardPart):
    """`neutral`: the activation thresholds of the neutral gate."""

    low: FiniteFloat
    high: FiniteFloat


def _distinct_emotions(classes: list[str]) -> list[str]:
    """The model's output classes must be distinct emotions of the domain."""
    if len(set(classes)) != len(classes) or not set(classes) <= set(EMOTIONS):
        raise ValueError(f"must list distinct emotions from {', '.join(EMOTIONS)}")
    return classes


class CardFile(_CardPart):
    """The checked part of a model card."""

    format: Annotated[str, AfterValidator(one_of((CARD_FORMAT,)))]
    model_id: Title
    architecture: Annotated[str, AfterValidator(one_of(ARCHITECTURES))]
    input_mode: Annotated[str, AfterValidator(one_of(INPUT_MODES))]
    classes: Annotated[list[str], Field(min_length=1), AfterValidator(_distinct_emotions)]
    input: CardInput
    channels: Annotated[list[CardChannel], Field(min_length=1)]
    """One entry per model input (their count is checked against the ONNX file on loading)."""
    normalisation: CardNormalisation
    neutral: CardNeutral
    onnx_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

    def to_card(self, file: PersonFile) -> ModelCard:
        """What is needed to run the model; InputError naming the field when parts disagree."""
        return ModelCard(
            model_id=self.model_id,
            architecture=self.architecture,
            input_mode=self.input_mode,
            classes=tuple(self.classes),
            rate_hz=self.input.rate_hz,
            window_rows=self.input.window_rows,
            channels=tuple(channel.to_info() for channel in self.channels),
            calibration=self._calibration(file),
            gate=self._gate(file),
            onnx_sha256=self.onnx_sha256,
            raw=file.data,
        )

    def _calibration(self, file: PersonFile) -> Calibration:
        """The default calibration: rest level, rest noise and maximal contraction per channel."""
        where = "normalisation.default_calibration"
        try:
            calibration = Calibration.from_json(self.normalisation.default_calibration)
        except InputError as err:
            raise invalid(
                file.where(), [Problem(where, f"is unusable ({err})")], CARD_HINT
            ) from None
        if calibration.count != len(self.channels):
            problem = Problem(
                where,
                f"must have {len(self.channels)} channels (one per entry of 'channels'), "
                f"not {calibration.count}",
            )
            raise invalid(file.where(), [problem], CARD_HINT)
        return calibration

    def _gate(self, file: PersonFile) -> NeutralGate:
        """The neutral gate of the card's thresholds."""
        try:
            return NeutralGate(self.neutral.low, self.neutral.high)
        except ModelError as err:
            raise invalid(file.where(), [Problem("neutral", f"is unusable ({err})")], "") from None


def read_card(path: Path) -> ModelCard:
    """Read and check the card at `path`; ModelError when missing or malformed."""
    if not path.exists():
        raise ModelError(
            f"No model card at {path}. Every model needs its JSON card beside it (written by "
            "`microexp train`); copy the card together with the .onnx file."
        )
    try:
        file = read_person_file(path, "model card")
        return validate_file(CardFile, file, CARD_HINT).to_card(file)
    except InputError as err:
        raise ModelError(str(err)) from None
