"""Fit a model's displayed output on held-out simulated participants and write it into its card.

    python -m microexp_tui.training.fit_display models/cnn_window.onnx [more models]

For each model: simulated six-emotion sessions and quiet (no-stimulus) sessions of the
participants `live_sessions.FIT_SEEDS` (never the benchmark's evaluation seeds, and never
training data: the shipped models were trained on the seed article's recordings) are
classified through the live path; the temperature is fitted by NLL on their raw windows, the
state model chosen on the same sessions (`live_sessions.fit_display`), and the card gets
`probability_calibration` and `evidence` sections saying what was fitted on what, with the
ECE before and after. The rest of the card, and the ONNX file, are left as they are.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from microexp_tui.inference.card import card_path_for
from microexp_tui.inference.evidence import DisplaySettings
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training.live_sessions import (
    FIT_SEEDS,
    FLASH_LEVEL,
    FLASH_MS,
    fit_display,
    simulate,
)

QUIET_MINUTES = 5.0


def card_sections(
    display: DisplaySettings, figures: dict[str, float], windows: int
) -> dict[str, Any]:
    """The card's `probability_calibration` and `evidence` sections for a fitted display."""
    fitted_on = {
        "data": "simulated live sessions (simulator participants, envelope board, 1000 Hz) "
        "classified through the live path",
        "participants": [f"simulator seed {seed}" for seed in FIT_SEEDS],
        "sessions": "six_emotions protocol (stimulus order drawn with the participant's seed) "
        f"with spontaneous bursts, and {QUIET_MINUTES:g} min without stimuli, per participant",
        "windows": windows,
        "labels": "the stimulus' emotion while the participant reacts (window centre), "
        "neutral elsewhere",
    }
    calibration = {
        "method": "temperature",
        "temperature": display.calibration.temperature,
        "applies_to": "the emotion softmax; the activation gate's neutral is kept",
        "fitted_by": "minimum negative log-likelihood of the raw windows' labels",
        "fitted_on": fitted_on,
        "ece_before": round(figures["ece_raw"], 4),
        "ece_after": round(figures["ece_calibrated"], 4),
        "nll_before": round(figures["nll_raw"], 4),
        "nll_after": round(figures["nll_calibrated"], 4),
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    assert display.evidence is not None
    evidence = {
        "method": "sticky-hmm",
        **display.evidence.as_json(),
        "rule": "forward filter over the classes: a class stays with stay_* per hop, an "
        "emotion ends in neutral (or by `switch` in another emotion); each window's calibrated "
        "probabilities, floored at `floor`, raised to `weight`, are its evidence",
        "chosen_by": "lowest NLL of the displayed output on the fitted sessions among settings "
        f"showing >= 80% of their reactions at >= {FLASH_LEVEL}",
        "ece_displayed": round(figures["ece_displayed"], 4),
        "nll_displayed": round(figures["nll_displayed"], 4),
        "flashes_per_min_raw": round(figures["flashes_per_min_raw"], 3),
        "flashes_per_min_displayed": round(figures["flashes_per_min_displayed"], 3),
        "flash": f"a non-neutral class other than the target at >= {FLASH_LEVEL} for >= "
        f"{FLASH_MS:g} ms, in the sessions without stimuli",
        "reactions_shown_raw": round(figures["reactions_shown_raw"], 3),
        "reactions_shown_displayed": round(figures["reactions_shown_displayed"], 3),
    }
    return {"probability_calibration": calibration, "evidence": evidence}


def fit_model(model_path: Path) -> dict[str, float]:
    """Fit one model's display and rewrite its card; returns the figures."""
    model = EmotionModel.load(model_path)
    protocol_runs = [simulate(model, seed, stimuli=True) for seed in FIT_SEEDS]
    quiet_runs = [simulate(model, seed, False, QUIET_MINUTES) for seed in FIT_SEEDS]
    display, figures = fit_display(protocol_runs, quiet_runs)
    card_path = card_path_for(model_path)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card.update(card_sections(display, figures, int(figures["windows"])))
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return figures


def main(argv: list[str]) -> int:
    """Fit every model named on the command line."""
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        figures = fit_model(Path(name))
        print(name, json.dumps({k: round(v, 4) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
