"""`microexp train` and `microexp evaluate`: train and export an emotion model, or score one."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.cli.options import add_dataset_options, add_mains_option, add_model_option
from microexp_tui.schema.arguments import positive_int, user_path

if TYPE_CHECKING:
    from microexp_tui.cli.options import Subcommands


def _add_reading_options(parser: argparse.ArgumentParser) -> None:
    """How labelled CSV files are read (overriding their dataset.toml)."""
    parser.add_argument(
        "--normalisation",
        choices=("auto", "range", "standardise"),
        help="per-participant normalisation: range (ADC counts), standardise (any unit, "
        "features); default auto: range for counts, standardise otherwise",
    )
    parser.add_argument("--units", help="unit of every channel of CSV data (e.g. uV, mV, a.u.)")
    parser.add_argument("--sensor-kind", choices=("envelope", "raw"), help="CSV data's sensor")
    parser.add_argument("--label-column", help="CSV column holding the labels")
    parser.add_argument(
        "--participant-column", help="CSV column naming the participant (else one per file)"
    )


def _reading(args: argparse.Namespace) -> Any:
    """The reading options as the training package takes them."""
    from microexp_tui.training.commands import DatasetReading

    return DatasetReading(
        args.normalisation, args.units, args.sensor_kind, args.label_column, args.participant_column
    )


def add_parser(subcommands: Subcommands) -> None:
    """The `train` and `evaluate` commands and their options."""
    train = subcommands.add_parser(
        "train", help="train and export an emotion model (needs the train extra); prints JSON"
    )
    add_dataset_options(train)
    train.add_argument("--arch", choices=("cnn", "lstm"), required=True)
    train.add_argument("--input", choices=("sample", "window"), required=True, dest="input_mode")
    train.add_argument(
        "--window", type=positive_int, help="window length in rows (window mode, default 10)"
    )
    train.add_argument(
        "--stride", type=positive_int, help="rows between windows (default: the window)"
    )
    train.add_argument("--protocol", choices=("split", "loso"), required=True)
    train.add_argument(
        "--epochs",
        type=positive_int,
        help="training epochs (default 10 sample, 30 window; more for small datasets)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--out", type=user_path, required=True, help="folder for the model and report"
    )
    train.add_argument(
        "--hold-out", nargs="+", help="loso: leave these participants out of the exported model"
    )
    add_mains_option(train)
    _add_reading_options(train)
    train.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    train.set_defaults(run=run)

    evaluate = subcommands.add_parser(
        "evaluate", help="evaluate an exported model on a dataset (JSON)"
    )
    add_model_option(evaluate, help="the model to evaluate (its card beside it)", required=True)
    add_dataset_options(evaluate)
    add_mains_option(evaluate)
    _add_reading_options(evaluate)
    evaluate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run `train` or `evaluate` and print its JSON report."""
    report = _train(args) if args.command == "train" else _evaluate(args)
    print(json.dumps(report, indent=2))
    return 0


def _train(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate with the protocol, export the model; the training report."""
    from microexp_tui.training.commands import TrainOptions, train
    from microexp_tui.training.progress import Progress

    options = TrainOptions(
        dataset=args.dataset,
        architecture=args.arch,
        input_mode=args.input_mode,
        protocol=args.protocol,
        out=args.out,
        window_rows=args.window,
        stride_rows=args.stride,
        epochs=args.epochs,
        seed=args.seed,
        participants=args.participants,
        hold_out=args.hold_out,
        sessions=args.sessions,
        mains_hz=OperatorDefaults().mains_hz(args.mains_hz),
        reading=_reading(args),
    )
    return train(options, Progress(enabled=not args.quiet))


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """An exported model's metrics on the dataset."""
    from microexp_tui.training.commands import evaluate

    mains_hz = OperatorDefaults().mains_hz(args.mains_hz)
    return evaluate(
        args.model, args.dataset, args.participants, args.sessions, mains_hz, _reading(args)
    )
