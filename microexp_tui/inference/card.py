"""Model cards: the JSON beside every exported model, read and checked before the model is used.

A card says what the model expects (channel order, labels and muscles, sensor kind and unit,
row rate, window length, classes, the normalisation and its defaults, where neutral comes
from) and how it was made and measured (data and its hash, protocol and metrics, library
versions, date). Only the fields needed to run the model are parsed into `ModelCard`; the
whole document stays in `raw`. Cards written before units and other label sets existed read
as ADC-count envelope models with calibration-range normalisation and the neutral gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import SENSOR_KINDS
from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.errors import InputError, ModelError
from microexp_tui.inference.calibration import TemperatureScaling
from microexp_tui.inference.evidence import DisplaySettings, EvidenceSettings
from microexp_tui.inference.gate import NeutralGate
from microexp_tui.inference.normalisation import (
    METHODS,
    RANGE,
    NormalisationSpec,
    Standardisation,
    normalise,
    standardise,
)
from microexp_tui.schema.problems import Problem, invalid, validate_file
from microexp_tui.schema.reader import PersonFile, read_person_file
from microexp_tui.schema.types import FiniteFloat, Line, Title, one_of

CARD_FORMAT = "microexp-model-card/1"
CARD_SUFFIX = ".card.json"
ARCHITECTURES = ("cnn", "lstm")
INPUT_MODES = ("sample", "window")
NEUTRAL_MODES = ("gate", "class", "none")
"""Where neutral comes from: the activation gate, a class of the network, or nowhere."""


def card_path_for(model_path: Path) -> Path:
    """Where the card of `model_path` lives: same folder, `<stem>.card.json`."""
    return model_path.with_name(model_path.stem + CARD_SUFFIX)


@dataclass(frozen=True)
class ChannelInfo:
    """One model input channel: its column name, muscle, action units, sensor kind and unit."""

    name: str
    muscle: str
    sensor_kind: str
    action_units: tuple[str, ...] = ()
    unit: str = "counts"
    """Unit of the values the model sees on this channel (ADC counts, µV, a feature's)."""

    def as_json(self) -> dict[str, Any]:
        """JSON form for the card."""
        return {
            "name": self.name,
            "muscle": self.muscle,
            "action_units": list(self.action_units),
            "sensor_kind": self.sensor_kind,
            "unit": self.unit,
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
    calibration: Calibration | None
    """The default calibration (calibration-range models only)."""
    gate: NeutralGate | None
    """The neutral gate, or None when neutral is a class of the network or not produced."""
    onnx_sha256: str
    raw: dict[str, Any]
    normalisation: NormalisationSpec = field(default_factory=NormalisationSpec)
    standardisation: Standardisation | None = None
    """The default standardisation (median of the training participants'), standardise only."""
    display: DisplaySettings = field(default_factory=DisplaySettings)
    """How raw outputs become displayed ones (`probability_calibration` and `evidence`)."""

    @property
    def output_classes(self) -> tuple[str, ...]:
        """Classes of a classification result: neutral first when the gate adds it."""
        return (NEUTRAL, *self.classes) if self.gate is not None else self.classes

    def normalise(
        self, values: npt.ArrayLike, calibration: Calibration | None = None
    ) -> npt.NDArray[np.float32]:
        """Values in the model's units normalised as the model was trained (card's method).

        Calibration-range models use `calibration` (the participant's) or the card's default;
        standardising models use the card's default standardisation.
        """
        if self.normalisation.method != RANGE:
            assert self.standardisation is not None  # checked when the card is read
            return standardise(values, self.normalisation, self.standardisation)
        chosen = calibration or self.calibration
        if chosen is None:
            raise ModelError(f"Model {self.model_id} has no calibration to normalise with.")
        return normalise(values, chosen)

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
    unit: Title = "counts"
    """Absent in cards of the first models, which all take ADC counts."""

    def to_info(self) -> ChannelInfo:
        """The channel as the rest of the program sees it."""
        return ChannelInfo(
            self.name, self.muscle, self.sensor_kind, tuple(self.action_units), self.unit
        )


class CardStandardisation(_CardPart):
    """`normalisation.default_standardisation`: per-channel centre and spread."""

    centre: list[FiniteFloat]
    scale: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]]


class CardNormalisation(_CardPart):
    """`normalisation`: the method, and its default calibration or standardisation."""

    method: Annotated[str, AfterValidator(one_of(METHODS))] = RANGE
    log_channels: list[bool] = Field(default_factory=list)
    default_calibration: dict[str, Any] | None = None
    default_standardisation: CardStandardisation | None = None


class CardNeutral(_CardPart):
    """`neutral`: where neutral comes from, and the gate's activation thresholds."""

    mode: Annotated[str, AfterValidator(one_of(NEUTRAL_MODES))] = "gate"
    low: FiniteFloat | None = None
    high: FiniteFloat | None = None


PROBABILITY_CALIBRATION_METHODS = ("temperature", "none")
EVIDENCE_METHODS = ("sticky-hmm", "none")


class CardProbabilityCalibration(_CardPart):
    """`probability_calibration`: the fitted temperature (absent: 1, the network's softmax)."""

    method: Annotated[str, AfterValidator(one_of(PROBABILITY_CALIBRATION_METHODS))] = "none"
    temperature: Annotated[float, Field(gt=0, le=1000)] = 1.0


class CardEvidence(_CardPart):
    """`evidence`: the state model that accumulates windows (absent: its defaults)."""

    method: Annotated[str, AfterValidator(one_of(EVIDENCE_METHODS))] = "sticky-hmm"
    stay_neutral: Annotated[float, Field(ge=0, lt=1)] = EvidenceSettings.stay_neutral
    stay_emotion: Annotated[float, Field(ge=0, lt=1)] = EvidenceSettings.stay_emotion
    switch: Annotated[float, Field(ge=0, le=1)] = EvidenceSettings.switch
    weight: Annotated[float, Field(gt=0, le=1)] = EvidenceSettings.weight
    floor: Annotated[float, Field(gt=0, lt=1)] = EvidenceSettings.floor
    max_gap_hops: Annotated[int, Field(ge=1, le=100_000)] = EvidenceSettings.max_gap_hops

    def to_settings(self) -> EvidenceSettings | None:
        """The state model's settings, or None when the card turns accumulation off."""
        if self.method == "none":
            return None
        return EvidenceSettings(
            self.stay_neutral,
            self.stay_emotion,
            self.switch,
            self.weight,
            self.floor,
            self.max_gap_hops,
        )


def _distinct_classes(classes: list[str]) -> list[str]:
    """The model's output classes must be distinct."""
    if len(set(classes)) != len(classes):
        raise ValueError("must list distinct class names")
    return classes


class CardFile(_CardPart):
    """The checked part of a model card."""

    format: Annotated[str, AfterValidator(one_of((CARD_FORMAT,)))]
    model_id: Title
    architecture: Annotated[str, AfterValidator(one_of(ARCHITECTURES))]
    input_mode: Annotated[str, AfterValidator(one_of(INPUT_MODES))]
    classes: Annotated[list[Title], Field(min_length=1), AfterValidator(_distinct_classes)]
    input: CardInput
    channels: Annotated[list[CardChannel], Field(min_length=1)]
    """One entry per model input (their count is checked against the ONNX file on loading)."""
    normalisation: CardNormalisation
    neutral: CardNeutral
    onnx_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    probability_calibration: CardProbabilityCalibration = Field(
        default_factory=CardProbabilityCalibration
    )
    evidence: CardEvidence = Field(default_factory=CardEvidence)

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
            normalisation=self._spec(file),
            standardisation=self._standardisation(file),
            display=self._display(),
        )

    def _display(self) -> DisplaySettings:
        """Calibration (on the emotions only when the gate makes neutral) and accumulation."""
        calibration = self.probability_calibration
        temperature = calibration.temperature if calibration.method == "temperature" else 1.0
        gated = self.neutral.mode == "gate"
        return DisplaySettings(TemperatureScaling(temperature, gated), self.evidence.to_settings())

    def _spec(self, file: PersonFile) -> NormalisationSpec:
        """The normalisation method and its log-transformed channels."""
        flags = tuple(self.normalisation.log_channels)
        if flags and len(flags) != len(self.channels):
            problem = Problem(
                "normalisation.log_channels",
                f"must have {len(self.channels)} entries (one per channel), not {len(flags)}",
            )
            raise invalid(file.where(), [problem], CARD_HINT)
        return NormalisationSpec(self.normalisation.method, flags)

    def _standardisation(self, file: PersonFile) -> Standardisation | None:
        """The default standardisation of a standardising model, one value per channel."""
        if self.normalisation.method == RANGE:
            return None
        where = "normalisation.default_standardisation"
        found = self.normalisation.default_standardisation
        count = len(self.channels)
        if found is None or not len(found.centre) == len(found.scale) == count:
            problem = Problem(where, f"must give centre and scale for {count} channels")
            raise invalid(file.where(), [problem], CARD_HINT)
        return Standardisation(np.asarray(found.centre), np.asarray(found.scale))

    def _calibration(self, file: PersonFile) -> Calibration | None:
        """The default calibration: rest level, rest noise and maximal contraction per channel."""
        where = "normalisation.default_calibration"
        if self.normalisation.default_calibration is None:
            if self.normalisation.method == RANGE:
                raise invalid(file.where(), [Problem(where, "is missing")], CARD_HINT)
            return None
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

    def _gate(self, file: PersonFile) -> NeutralGate | None:
        """The neutral gate of the card's thresholds (None unless neutral comes from it)."""
        if self.neutral.mode != "gate":
            return None
        if self.neutral.low is None or self.neutral.high is None:
            raise invalid(file.where(), [Problem("neutral", "needs low and high")], CARD_HINT)
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
