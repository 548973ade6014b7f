"""Metrics: accuracy, macro-F1, per-class scores, confusion matrix and per-participant results."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.training.metrics import per_participant, report, summary


def test_report_on_a_known_confusion() -> None:
    y_true = np.array([1, 1, 1, 2, 2, 0])
    y_pred = np.array([1, 1, 2, 2, 2, 0])
    out = report(y_true, y_pred)
    assert out["accuracy"] == pytest.approx(5 / 6, abs=1e-6)
    assert out["confusion_matrix"]["classes"] == ["neutral", "happy", "surprise"]
    assert out["confusion_matrix"]["counts"] == [[1, 0, 0], [0, 2, 1], [0, 0, 2]]
    happy = out["per_class"]["happy"]
    assert (happy["precision"], happy["recall"], happy["support"]) == (
        1.0,
        pytest.approx(2 / 3, abs=1e-6),
        3,
    )
    f1_surprise = 2 * (2 / 3) * 1.0 / (2 / 3 + 1.0)
    expected = (1.0 + 0.8 + f1_surprise) / 3
    assert out["macro_f1"] == pytest.approx(expected, abs=1e-6)


def test_a_predicted_but_absent_class_is_listed_but_not_averaged() -> None:
    out = report(np.array([1, 1]), np.array([1, 3]))
    assert "disgust" in out["per_class"] and out["per_class"]["disgust"]["support"] == 0
    assert out["macro_f1"] == pytest.approx(2 / 3, abs=1e-6)  # happy only: P 1, R 0.5


def test_per_participant_and_summary() -> None:
    people = per_participant(
        np.array([1, 1, 2, 2]), np.array([1, 2, 2, 2]), np.array([0, 0, 1, 1]), ("a", "b")
    )
    assert people["a"]["accuracy"] == 0.5 and people["b"]["accuracy"] == 1.0
    assert summary(people) == {
        "mean_accuracy": 0.75,
        "std_accuracy": 0.25,
        "min_accuracy": 0.5,
        "max_accuracy": 1.0,
    }


def test_uar_is_the_mean_recall_of_the_classes_shown() -> None:
    y_true = np.array([0] * 8 + [1] * 2)
    y_pred = np.array([0] * 8 + [0, 1])  # neutral always right, the rare class half the time
    scores = report(y_true, y_pred, ("neutral", "joy"))
    assert scores["accuracy"] == 0.9 and scores["uar"] == 0.75
    assert scores["confusion_matrix"]["classes"] == ["neutral", "joy"]
    assert scores["confusion_matrix"]["counts"] == [[8, 0], [1, 1]]


def test_small_datasets_get_enough_training_steps_and_imbalance_is_weighted() -> None:
    from microexp_tui.training.commands import MAX_DEFAULT_EPOCHS, default_epochs
    from microexp_tui.training.fit import balanced_weights

    assert default_epochs("window", 18_000, 64) == 30  # the seed's windows: the mode's default
    assert default_epochs("sample", 144_000, 64) == 10
    assert default_epochs("sample", 1_120, 64) == 42  # 18 batches an epoch, 750 in all
    assert default_epochs("sample", 10, 64) == MAX_DEFAULT_EPOCHS
    assert balanced_weights(np.array([0, 1, 2] * 5), 3) is None  # balanced: unweighted
    weights = balanced_weights(np.array([0] * 60 + [1] * 20 + [2] * 20), 4)
    assert weights == {0: 100 / 180, 1: 100 / 60, 2: 100 / 60, 3: 1.0}
