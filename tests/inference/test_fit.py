"""Whether a model fits a session or dataset: count, muscles, sensor kinds and units."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.errors import ExitCode, ModelError
from microexp_tui.inference.fit import check_fit, check_session_fit, session_channels
from microexp_tui.inference.model import EmotionModel
from microexp_tui.store.sessions import SessionStore
from tests.inference.conftest import MODELS_DIR
from tests.store import seed_channels


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    """The shipped CNN (8 seed muscles, envelope sensors, ADC counts)."""
    return EmotionModel.load(MODELS_DIR / "cnn_window.onnx")


def test_a_board_session_of_the_seed_montage_fits(model: EmotionModel) -> None:
    check_session_fit(model.card, seed_channels())
    assert {c.unit for c in session_channels(seed_channels())} == {"counts"}


def _imported(unit: str) -> list[ChannelSpec]:
    """The seed montage as an imported session in `unit` (values stored as physical)."""
    return [replace(spec, unit=unit, scale=1.0) for spec in seed_channels()]


@pytest.mark.parametrize(
    ("channels", "source", "message"),
    [
        (seed_channels(4), "board", "expects 8 channels .* but the data have 4"),
        (seed_channels()[::-1], "board", "channel 1 is .* expects Zygomaticus major there"),
        (
            [replace(s, sensor_kind="raw") for s in seed_channels()],
            "board",
            r"channel 1 \(Zygomaticus major\) is a raw sensor .* trained on envelope",
        ),
        (
            _imported("uV"),
            "import",
            r"channel 1 \(Zygomaticus major\) is in uV .* values in counts",
        ),
    ],
)
def test_a_session_that_does_not_fit_is_refused_naming_the_channel(
    model: EmotionModel, channels: list[ChannelSpec], source: str, message: str
) -> None:
    with pytest.raises(ModelError, match=f"does not fit this {source} session: .*{message}"):
        check_session_fit(model.card, channels, source)


def test_a_dataset_in_other_units_is_refused(model: EmotionModel) -> None:
    channels = [replace(c, unit="a.u.") for c in model.card.channels]
    with pytest.raises(ModelError, match=r"does not fit the dataset here: channel 1 .* in a\.u\."):
        check_fit(model.card, channels, "the dataset here")


def test_reprocess_refuses_an_imported_session_in_other_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    with SessionStore.open(db) as store:
        person = store.create_participant(code="P-IMP1")
        session = store.start_session(
            person.id, sample_rate_hz=1000, channels=_imported("uV"), device={},
            simulated=False, source="import", sample_format="float32",
        )  # fmt: skip
        store.finish_session(session, "completed")
    model = str(MODELS_DIR / "cnn_window.onnx")
    code = main(["reprocess", str(session), "--db", str(db), "--model", model])
    err = capsys.readouterr().err
    assert code == ExitCode.MODEL and "is in uV but model" in err and "Traceback" not in err
    with SessionStore.open(db) as store:
        assert store.prediction_runs(session) == []
