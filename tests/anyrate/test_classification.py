"""Classification of stored sessions at any rate, and models refused when they do not fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.signal

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch
from microexp_tui.errors import ModelError
from microexp_tui.inference.resample import StreamingResampler, rate_ratio
from microexp_tui.paths import resource_dir
from microexp_tui.store.sessions import SessionStore
from tests.anyrate.conftest import ImportedDb, microexp, microexp_json

MODEL = "cnn_window.onnx"
SEED_RATE_HZ = 20.0
RATES = {20.0: (1, 1), 30.0: (3, 2), 19.6: (49, 50)}
"""Session rate -> (up, down) that makes it from the seed's 20 Hz rows."""


def _seed_rows(seed_dir: Path) -> np.ndarray:
    """400 rows (20 s) of each emotion of one seed participant, in ADC counts."""
    frame = pd.read_csv(seed_dir / "subject_01.csv")
    blocks = [group.head(400) for _, group in frame.groupby("emotion_label", sort=False)]
    columns = [f"s{i}" for i in range(1, 9)]
    return pd.concat(blocks)[columns].to_numpy(dtype=np.float64)


@pytest.fixture(scope="module")
def seed_sessions(
    seed_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[float, int]]:
    """The same seed rows imported at 20 Hz, 30 Hz and 19.6 Hz (resampled), in counts."""
    rows = _seed_rows(seed_dir)
    path = tmp_path_factory.mktemp("classify") / "seed.sqlite"
    channels = [
        ChannelSpec(i, f"s{i + 1}", m.name, "envelope", m.action_units, unit="counts", scale=1.0)
        for i, m in enumerate(SEED_MONTAGE)
    ]
    ids = {}
    with SessionStore.open(path) as store:
        for rate, (up, down) in RATES.items():
            values = (
                rows
                if up == down
                else scipy.signal.resample_poly(rows, up, down, axis=0, padtype="line")
            )
            participant = store.create_participant()
            ids[rate] = store.start_session(
                participant.id,
                sample_rate_hz=rate,
                channels=channels,
                device={},
                simulated=False,
                source="import",
                sample_format="float32",
            )
            store.write_batch(ids[rate], Batch(chunks=[(0, values.astype(np.float32))]))
            store.finish_session(ids[rate], "completed")
    return path, ids


def _labels_by_time(path: Path, session: int, rate: float) -> dict[float, str]:
    """The stored reprocess predictions of a session by window end time (0.1 s)."""
    with SessionStore.open(path) as store:
        (run,) = store.prediction_runs(session)
        return {
            round(p.sample_index / rate, 1): p.label
            for p in store.predictions(session, run.model_id)
        }


def test_reprocess_resamples_a_session_to_the_models_rate(
    seed_sessions: tuple[Path, dict[float, int]],
) -> None:
    path, ids = seed_sessions
    model = str(resource_dir("models") / MODEL)
    for session in ids.values():
        microexp_json("reprocess", str(session), "--db", str(path), "--model", model)
    reference = _labels_by_time(path, ids[SEED_RATE_HZ], SEED_RATE_HZ)
    assert len(set(reference.values())) >= 3, "the seed rows make several classes"
    for rate in (30.0, 19.6):
        labels = _labels_by_time(path, ids[rate], rate)
        common = [t for t in labels if t in reference]
        assert len(common) >= 0.95 * len(reference)
        agreement = np.mean([labels[t] == reference[t] for t in common])
        assert agreement >= 0.95, f"{rate} Hz agrees with 20 Hz on {agreement:.0%} of windows"
    with SessionStore.open(path) as store:
        (run,) = store.prediction_runs(ids[30.0])
    assert run.window_samples == 15, "the model's 10 rows at 20 Hz are 15 samples at 30 Hz"


def test_a_model_whose_units_do_not_fit_is_refused_naming_channel_and_units(
    imported_db: ImportedDb,
) -> None:
    done = microexp(
        "reprocess",
        str(imported_db.ids["envelope-20hz-mv"]),
        "--db",
        str(imported_db.path),
        "--model",
        str(resource_dir("models") / MODEL),
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "channel 1 (Zygomaticus major) is in mV" in done.stderr
    assert "values in counts" in done.stderr


def test_a_model_for_another_montage_is_refused_naming_the_channels(
    imported_db: ImportedDb,
) -> None:
    done = microexp(
        "microexpressions",
        str(imported_db.ids["raw-2khz-uv"]),
        "--db",
        str(imported_db.path),
        "--model",
        str(resource_dir("models") / MODEL),
    )
    assert done.returncode != 0 and "expects 8 channels" in done.stderr and "have 4" in done.stderr


@pytest.mark.parametrize(
    ("session_hz", "model_hz", "expected"),
    [
        (30.0, 20.0, (2, 3)),
        (19.6, 20.0, (50, 49)),
        (2048.0, 20.0, (5, 512)),
        (4000.0, 20.0, (1, 200)),
    ],
)
def test_the_rate_ratio_is_a_small_fraction(
    session_hz: float, model_hz: float, expected: tuple[int, int]
) -> None:
    assert rate_ratio(session_hz, model_hz) == expected


def test_a_ratio_no_small_fraction_reaches_is_refused() -> None:
    with pytest.raises(ModelError, match="no ratio of whole numbers"):
        rate_ratio(1.0, 5000.3)


def test_resampled_rows_do_not_depend_on_how_the_stream_is_cut() -> None:
    rng = np.random.default_rng(5)
    values = np.cumsum(rng.normal(size=(3000, 3)), axis=0).astype(np.float32)
    up, down = rate_ratio(30.0, 20.0)

    def rows(cuts: list[int], gap_at: int | None = None) -> dict[int, np.ndarray]:
        resampler, position, out = StreamingResampler(up, down, 3), 0, {}
        for size in cuts:
            first = position + (100 if gap_at is not None and position >= gap_at else 0)
            for row, block in resampler.push(first, values[position : position + size]):
                out.update({row + k: block[k] for k in range(block.shape[0])})
            position += size
        for row, block in resampler.flush():
            out.update({row + k: block[k] for k in range(block.shape[0])})
        return out

    whole, pieces = rows([3000]), rows([7] * 428 + [4])
    assert sorted(whole) == list(range(2000)) and sorted(pieces) == sorted(whole)
    assert max(np.abs(whole[r] - pieces[r]).max() for r in whole) < 1e-4
    broken = rows([1500, 1500], gap_at=1500)
    assert 1000 not in broken and min(r for r in broken if r > 999) == 1067, "a gap starts a run"


def test_expressions_of_a_30_hz_session_are_classified_by_the_model(
    seed_sessions: tuple[Path, dict[float, int]],
) -> None:
    path, ids = seed_sessions
    result = microexp_json(
        "microexpressions",
        str(ids[30.0]),
        "--db",
        str(path),
        "--model",
        str(resource_dir("models") / MODEL),
    )
    assert result["detector"]["classifier"].startswith("cnn-window")
    assert result["expressions"], "the seed rows hold contractions"
    assert {x["emotion_source"] for x in result["expressions"]} - {"action_units"}
