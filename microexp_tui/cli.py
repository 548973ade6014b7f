"""The `microexp` command line: record, simulate, list sessions and ports, train and run models."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microexp_tui import __version__
from microexp_tui.analysis import command as microexpressions_command
from microexp_tui.errors import ExitCode, InputError, MicroexpError
from microexp_tui.report import command as report_command

log = logging.getLogger("microexp")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="microexp",
        description="Session manager for facial-EMG emotion and micro-expression studies.",
    )
    parser.add_argument("--version", action="version", version=f"microexp-tui {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    record = sub.add_parser("record", help="record a session headlessly into the database")
    where = record.add_mutually_exclusive_group()
    where.add_argument(
        "--port",
        help="serial device path or pyserial URL of the board "
        "(default: the first Arduino Mega 2560 found, else the simulated board)",
    )
    where.add_argument(
        "--simulate", action="store_true", help="record from the simulated board (real time)"
    )
    record.add_argument("--db", type=Path, help="session database (default: user data dir)")
    record.add_argument("--duration-s", type=float, required=True, help="wall-clock seconds")
    record.add_argument("--participant", help="participant code (created when new)")
    record.add_argument("--protocol", help="stimulus protocol name or .toml file")
    record.add_argument("--operator", help="operator name (kept out of exports)")
    record.add_argument("--mains-hz", type=float, default=50.0, choices=(50.0, 60.0))
    record.add_argument("--baud", type=int, default=None, help="baud rate (default 500000)")
    record.add_argument("--rate-hz", type=int, help="set the board's sample rate (250-2000)")
    record.add_argument("--channels", type=int, help="set the board's channel count (1-16)")
    record.add_argument(
        "--legacy", action="store_true", help="board runs the article's CSV sketch (9600 baud)"
    )
    record.add_argument("--sim-mode", choices=("envelope", "raw"), default="envelope")
    record.add_argument("--sim-seed", type=int, default=1)
    record.add_argument(
        "--model", type=Path, help="classify emotions live with this .onnx model (and its card)"
    )
    record.add_argument(
        "--hop-ms", type=float, default=100.0, help="live classification hop (default 100 ms)"
    )
    record.add_argument("--json", action="store_true", help="print one JSON object")

    sessions = sub.add_parser("sessions", help="list recorded sessions")
    sessions.add_argument("--db", type=Path, help="session database (default: user data dir)")
    sessions.add_argument("--json", action="store_true", help="print JSON")

    tui = sub.add_parser("tui", help="open the operator app (the default with no command)")
    tui.add_argument("--db", type=Path, help="session database (default: user data dir)")
    board = tui.add_mutually_exclusive_group()
    board.add_argument("--simulate", action="store_true", help="preselect the simulated board")
    board.add_argument("--port", help="preselect this serial port or simulator link")

    ports = sub.add_parser("ports", help="list serial ports (Arduino Mega 2560 first)")
    ports.add_argument("--json", action="store_true", help="print JSON")

    _add_model_commands(sub)
    _add_export_command(sub)
    report_command.add_command(sub)
    microexpressions_command.add_command(sub)

    simulate = sub.add_parser(
        "simulate", help="run the simulated board on a pseudo-terminal (prints its path)"
    )
    from microexp_tui.simulator import cli as simulator_cli

    simulator_cli.add_arguments(simulate)
    return parser


def _add_model_commands(sub: Any) -> None:
    """The `train`, `evaluate` and `reprocess` subcommands."""
    train = sub.add_parser(
        "train", help="train and export an emotion model (needs the train extra); prints JSON"
    )
    train.add_argument(
        "--dataset",
        type=Path,
        required=True,
        help="folder of seed-format CSV files, or a session database",
    )
    train.add_argument("--arch", choices=("cnn", "lstm"), required=True)
    train.add_argument("--input", choices=("sample", "window"), required=True, dest="input_mode")
    train.add_argument("--window", type=int, help="window length in rows (window mode, default 10)")
    train.add_argument("--stride", type=int, help="rows between windows (default: the window)")
    train.add_argument("--protocol", choices=("split", "loso"), required=True)
    train.add_argument("--epochs", type=int, help="training epochs (default 10 sample, 30 window)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, required=True, help="folder for the model and report")
    train.add_argument("--participants", nargs="+", help="use only these participants")
    train.add_argument(
        "--hold-out", nargs="+", help="loso: leave these participants out of the exported model"
    )
    train.add_argument("--sessions", nargs="+", type=int, help="session ids (session database)")
    train.add_argument("--mains-hz", type=float, default=50.0, choices=(50.0, 60.0))
    train.add_argument("--quiet", action="store_true", help="no progress display on stderr")

    evaluate = sub.add_parser("evaluate", help="evaluate an exported model on a dataset (JSON)")
    evaluate.add_argument("--model", type=Path, required=True, help=".onnx file with its card")
    evaluate.add_argument("--dataset", type=Path, required=True)
    evaluate.add_argument("--participants", nargs="+", help="only these participants")
    evaluate.add_argument("--sessions", nargs="+", type=int, help="session ids (session database)")
    evaluate.add_argument("--mains-hz", type=float, default=50.0, choices=(50.0, 60.0))

    reprocess = sub.add_parser(
        "reprocess", help="re-filter and classify a stored session with a model"
    )
    reprocess.add_argument("session", type=int, help="session id (see `microexp sessions`)")
    reprocess.add_argument("--db", type=Path, help="session database (default: user data dir)")
    reprocess.add_argument("--model", type=Path, required=True, help=".onnx file with its card")
    reprocess.add_argument("--hop-ms", type=float, default=100.0)
    reprocess.add_argument("--mains-hz", type=float, default=50.0, choices=(50.0, 60.0))
    reprocess.add_argument(
        "--replace", action="store_true", help="replace this model's earlier predictions"
    )
    reprocess.add_argument("--json", action="store_true", help="print one JSON object")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `microexp` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return _dispatch(parser, args)
    except MicroexpError as err:
        print(f"error: {err}", file=sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the chosen subcommand."""
    if args.command == "record":
        return _record(args)
    if args.command == "sessions":
        return _sessions(args)
    if args.command == "ports":
        return _ports(args)
    if args.command == "train":
        return _train(args)
    if args.command == "evaluate":
        return _evaluate(args)
    if args.command == "reprocess":
        return _reprocess(args)
    if args.command == "export":
        return _export(args)
    if args.command == "report":
        return report_command.run(args)
    if args.command == "microexpressions":
        return microexpressions_command.run(args)
    if args.command == "simulate":
        from microexp_tui.simulator import cli as simulator_cli

        return simulator_cli.run(args)
    if args.command == "tui":
        return _tui(args.db, args.simulate, args.port)
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        parser.print_help()
        print("\nNo terminal to open the operator app in; run `microexp` in a terminal.")
        return 0
    return _tui(None, False, None)


def _tui(db: Path | None, simulate: bool, port: str | None) -> int:
    """Open the operator app; logs go to a file so they never draw over the screen."""
    from microexp_tui.paths import data_dir

    log_path = data_dir() / "microexp-tui.log"
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        filename=log_path,
        force=True,
    )
    from microexp_tui.tui.app import make_app

    app = make_app(db, port=port, simulate=simulate, log_path=log_path)
    try:
        app.run()
    finally:
        app.shutdown()
    return 0


def _database_path(arg: Path | None) -> Path:
    """The --db path, or the embedded default in the user data directory."""
    from microexp_tui.paths import default_database_path

    return arg if arg is not None else default_database_path()


def _record(args: argparse.Namespace) -> int:
    """`microexp record`: run a headless recording and print its summary."""
    from microexp_tui.session_flow.headless import run_recording

    if args.duration_s <= 0:
        raise InputError("--duration-s must be greater than 0 seconds.")
    port, simulate = args.port, args.simulate
    if port is None and not simulate:
        from microexp_tui.device.transport import find_board_port

        port = find_board_port()
        simulate = port is None
        print(
            f"recording from {port}"
            if port
            else "no board found: recording from the simulated board",
            file=sys.stderr,
        )
    summary = run_recording(
        port=port,
        simulate=simulate,
        database=_database_path(args.db),
        duration_s=args.duration_s,
        participant_code=args.participant,
        protocol_name=args.protocol,
        operator=args.operator,
        mains_hz=args.mains_hz,
        baud=args.baud,
        legacy=args.legacy,
        sim_args=sim_arguments(args),
        model_path=args.model,
        hop_ms=args.hop_ms,
        sample_rate_hz=args.rate_hz,
        channels=args.channels,
    )
    out = summary.as_json()
    if args.json:
        print(json.dumps(out))
    else:
        _print_summary(out)
    return 0 if summary.error is None else int(ExitCode.STORE)


def sim_arguments(args: argparse.Namespace) -> list[str]:
    """Arguments of the simulated board started by `record` without a port."""
    return ["--mode", args.sim_mode, "--seed", str(args.sim_seed)]


def _print_summary(out: dict[str, Any]) -> None:
    """Human-readable recording summary."""
    print(
        f"session {out['session_id']} ({out['participant_code']}): {out['status']}, "
        f"{out['samples_per_channel']} samples x {out['channels']} channels at "
        f"{out['sample_rate_hz']} Hz{' [SIMULATED]' if out['simulated'] else ''}"
    )
    print(
        f"frames {out['frames']}, CRC errors {out['crc_errors']}, gaps {out['sequence_gaps']}, "
        f"lost samples {out['lost_samples']}, queue overflows {out['queue_overflows']}, "
        f"reconnects {out['reconnects']}"
    )
    if out["error"]:
        print(f"error: {out['error']}", file=sys.stderr)


def _sessions(args: argparse.Namespace) -> int:
    """`microexp sessions`: list sessions in the database."""
    from microexp_tui.store.sessions import SessionStore

    store = SessionStore.open(_database_path(args.db))
    try:
        rows = [session_summary(record) for record in store.list_sessions()]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no sessions")
    for row in rows:
        print(
            f"{row['session_id']:>5}  {row['participant_code']:<10} {row['status']:<12} "
            f"{row['started_at']}  {row['duration_s']:>8.1f} s  "
            f"{row['channels']} ch @ {row['sample_rate_hz']:g} Hz"
            f"{'  SIMULATED' if row['simulated'] else ''}"
        )
    return 0


def session_summary(record: Any) -> dict[str, Any]:
    """JSON-ready summary of a SessionRecord."""
    rate = record.sample_rate_hz or 1
    return {
        "session_id": record.id,
        "participant_code": record.participant_code,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "protocol": record.protocol,
        "channels": record.channel_count,
        "sample_rate_hz": record.sample_rate_hz,
        "samples_per_channel": record.samples_per_channel,
        "duration_s": record.samples_per_channel / rate,
        "simulated": bool(record.simulated),
        "counters": record.counters,
    }


def _ports(args: argparse.Namespace) -> int:
    """`microexp ports`: list serial ports, Arduino Mega 2560 first."""
    from microexp_tui.device.transport import list_serial_ports

    ports = list_serial_ports()
    if args.json:
        print(json.dumps([vars(port) | {"label": port.label} for port in ports]))
        return 0
    for port in ports:
        print(port.label)
    if not ports:
        print("no serial ports found (use `microexp record --simulate`)")
    return 0


def _print_json(report: dict[str, Any]) -> None:
    """Print a report as indented JSON on stdout."""
    print(json.dumps(report, indent=2))


def _train(args: argparse.Namespace) -> int:
    """`microexp train`: evaluate with a protocol, export the model, print the JSON report."""
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
        mains_hz=args.mains_hz,
    )
    _print_json(train(options, Progress(enabled=not args.quiet)))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    """`microexp evaluate`: an exported model's metrics on a dataset, as JSON."""
    from microexp_tui.training.commands import evaluate

    _print_json(evaluate(args.model, args.dataset, args.participants, args.sessions, args.mains_hz))
    return 0


def _reprocess(args: argparse.Namespace) -> int:
    """`microexp reprocess`: filter and classify a stored session again with a model."""
    from collections import Counter

    from microexp_tui.domain.recording import PredictionRecord
    from microexp_tui.errors import StoreError
    from microexp_tui.inference.model import EmotionModel
    from microexp_tui.inference.offline import classify_recording
    from microexp_tui.store.sessions import SessionStore

    model = EmotionModel.load(args.model)
    with SessionStore.open(_database_path(args.db)) as store:
        record = store.session(args.session)
        if record.status == "recording":
            raise StoreError(f"Session {record.id} is still recording; reprocess it once finished.")
        run = classify_recording(
            store.sample_chunks(record.id),
            model=model,
            sample_rate_hz=float(record.sample_rate_hz),
            muscles=[spec.muscle for spec in record.channels],
            sensor_kinds=[spec.sensor_kind for spec in record.channels],
            mains_hz=args.mains_hz,
            hop_ms=args.hop_ms,
        )
        predictions = run.predictions
        records = [
            PredictionRecord(model.model_id, p.sample_index, p.label, p.activation, p.probabilities)
            for p in predictions
        ]
        store.start_prediction_run(
            record.id,
            model.model_id,
            kind="reprocess",
            classes=model.card.output_classes,
            hop_ms=run.hop_ms,
            window_samples=run.window_samples,
            model_card=model.card.raw,
            replace=args.replace,
            records=records,
        )
        runs = [run.model_id for run in store.prediction_runs(record.id)]
    counts = Counter(p.label for p in predictions)
    labels = {label: counts.get(label, 0) for label in model.card.output_classes}
    report: dict[str, Any] = {
        "session_id": record.id,
        "model_id": model.model_id,
        "predictions": len(predictions),
        "labels": labels,
        "prediction_runs": runs,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"session {record.id}: {len(predictions)} predictions by {model.model_id} stored "
            f"beside {len(runs) - 1} other run(s); "
            + ", ".join(f"{k} {v}" for k, v in labels.items())
        )
    return 0


def _add_export_command(sub: Any) -> None:
    """The `export` subcommand and its `export verify DIR` form."""
    export = sub.add_parser(
        "export", help="anonymised dataset export (BIDS EMG, Parquet, CSV); `export verify DIR`"
    )
    export.add_argument("--db", type=Path, help="session database (default: user data dir)")
    export.add_argument("--out", type=Path, help="new folder to create for the export")
    which = export.add_mutually_exclusive_group()
    which.add_argument("--session", type=int, nargs="+", help="session ids to export")
    which.add_argument("--all", action="store_true", help="every finished session (default)")
    export.add_argument("--format", choices=("bids", "parquet", "csv"), default="bids")
    export.add_argument(
        "--secret-file",
        type=Path,
        help="site secret for the pseudonyms (default: export-secret.key in the data dir, "
        "created 0600 on first use; keep it to get the same labels next time)",
    )
    export.add_argument("--k", type=int, default=5, help="k-anonymity threshold (default 5)")
    export.add_argument(
        "--mains-hz",
        type=float,
        choices=(50.0, 60.0),
        help="power-line frequency to declare for sessions that did not store one",
    )
    export.add_argument("--json", action="store_true", help="print one JSON object")
    verify = export.add_subparsers(dest="export_command", metavar="verify").add_parser(
        "verify", help="recheck an export against its SHA-256 manifest"
    )
    verify.add_argument("folder", type=Path, help="the export folder")


def _export(args: argparse.Namespace) -> int:
    """`microexp export`: write an anonymised export, or verify one."""
    from microexp_tui import export

    if args.export_command == "verify":
        checked = export.verify(args.folder)
        if not checked.ok:
            raise InputError(
                f"{args.folder} does not match its manifest:\n  " + "\n  ".join(checked.problems())
            )
        print(f"OK: {checked.checked} files of {args.folder} match its manifest")
        return 0
    if args.out is None:
        raise InputError("export needs --out DIR (a new folder), or `export verify DIR`.")

    def progress(done: int, total: int, message: str) -> None:
        if sys.stderr.isatty():
            print(f"[{done}/{total}] {message}", file=sys.stderr)

    report = export.export_sessions(
        _database_path(args.db),
        args.out,
        args.session,
        args.format,
        args.secret_file,
        progress,
        k=args.k,
        power_line_hz=args.mains_hz,
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.secret_created:
        print(
            f"created a new site secret at {report.secret_path}; keep it (labels depend on it)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        print(
            f"exported {len(report.sessions)} session(s) to {report.out_dir} ({report.fmt}): "
            f"{report.files} files, {report.bytes / 1e6:.1f} MB in {report.elapsed_s:.1f} s"
        )
    return 0
