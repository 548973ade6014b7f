"""Parquet and CSV exports for analysis: long sample tables plus sessions, channels, events.

Samples are long (one row per sample and channel) so sessions with different montages
share one schema; each session's samples go to `samples/<session>.<ext>`, written in
60 s row groups so memory stays bounded, at the session's own rate. Values are mV at the
input (`value_mv`), converted with each channel's scale and offset, when every channel is in
a voltage unit; a session with channels in another unit (a feature, uncalibrated counts) has
`value` in each channel's own unit instead, as its channels table says (null where a sample
was lost in transit or marked missing). `condition` says which stimulus (target emotion, or
an imported condition such as `neutral`) or rest block was in progress.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.domain.channels import MV_PER_UNIT
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.export import events, predictions, trials_derivative
from microexp_tui.export.files import write_json, write_text
from microexp_tui.export.plan import SessionPlan
from microexp_tui.export.readme import tabular_readme
from microexp_tui.store.sessions import SessionStore

WINDOW_S = 60
CONDITIONS: tuple[str, ...] = (*EMOTIONS, "rest")
"""Values of the per-sample `condition` column: a stimulus's target emotion, or rest."""


def write_tables(
    root: Path,
    store: SessionStore,
    plans: Sequence[SessionPlan],
    fmt: str,
    code_labels: Mapping[str, str],
    step: Callable[[str], None],
) -> list[str]:
    """Write every table of a Parquet or CSV export under `root`; return the warnings for the
    operator (sessions left out of the trial table, and why)."""
    import pyarrow as pa

    write_text(root / "README.md", tabular_readme(plans, fmt))
    event_rows, channel_rows = [], []
    for plan in plans:
        found = events.read_session_events(
            store, plan.record.id, plan.channel_names, plan.response_rule
        )
        event_rows += _event_records(plan, found.rows)
        channel_rows += _channel_records(plan)
        write_samples(root / "samples" / f"{plan.name}.{fmt}", store, plan, found, fmt)
        step(f"{plan.name} written")
    _write(root / f"sessions.{fmt}", pa.Table.from_pylist([_session_record(p) for p in plans]), fmt)
    _write(root / f"participants.{fmt}", pa.Table.from_pylist(_participants(plans)), fmt)
    _write(root / f"channels.{fmt}", pa.Table.from_pylist(channel_rows), fmt)
    _write(root / f"events.{fmt}", pa.Table.from_pylist(event_rows, schema=_event_schema()), fmt)
    _write_predictions(root, store, plans, fmt, code_labels)
    return _write_trials(root, store, plans, fmt)


def _write(path: Path, table: Any, fmt: str) -> None:
    """Write one small table as Parquet (zstd) or CSV."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        pcsv.write_csv(_plain(table), path)


def _plain(table: Any) -> Any:
    """Dictionary columns decoded to strings (the CSV writer wants plain types)."""
    import pyarrow as pa

    for index, column in enumerate(table.schema):
        if pa.types.is_dictionary(column.type):
            decoded = table.column(index).cast(pa.string())
            table = table.set_column(index, column.name, decoded)
    return table


def _session_record(plan: SessionPlan) -> dict[str, Any]:
    """One row of the sessions table."""
    record = plan.record
    device = record.device if hasattr(record.device, "get") else {}
    return {
        "session": plan.name,
        "participant_id": f"sub-{plan.subject.label}",
        "session_label": plan.session_label,
        "task": plan.task_label,
        "acq_time": plan.acq_time,
        "simulated": plan.simulated,
        "status": record.status,
        "duration_s": record.duration_s,
        "sample_rate_hz": plan.rate_hz,
        "channel_count": len(record.channels),
        "board": device.get("board"),
        "power_line_hz": plan.power_line_hz,
        "lost_samples": int(record.counters.get("lost_samples", 0)),
        "sequence_gaps": int(record.counters.get("sequence_gaps", 0)),
    }


def _participants(plans: Sequence[SessionPlan]) -> list[dict[str, Any]]:
    """One row per exported participant."""
    rows: dict[str, dict[str, Any]] = {}
    for plan in plans:
        subject = plan.subject
        row = rows.setdefault(
            subject.label,
            {
                "participant_id": f"sub-{subject.label}",
                "age_band": subject.age_band,
                "sex": subject.sex,
                "handedness": subject.handedness,
                "sessions": 0,
                "simulated_sessions": 0,
            },
        )
        row["sessions"] += 1
        row["simulated_sessions"] += int(plan.simulated)
    return [rows[label] for label in sorted(rows)]


def _channel_records(plan: SessionPlan) -> list[dict[str, Any]]:
    """Channel rows of one session."""
    return [
        {
            "session": plan.name,
            "channel": name,
            "index": spec.index,
            "target_muscle": spec.muscle,
            "action_units": ",".join(spec.action_units),
            "sensor_kind": spec.sensor_kind,
            "units": "mV" if _in_voltages(plan) else spec.unit,
            "simulated": plan.simulated,
        }
        for name, spec in zip(plan.channel_names, plan.record.channels, strict=True)
    ]


def _event_schema() -> Any:
    """Schema of the events table (fixed, so an empty table still has its columns)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("session", pa.string()),
            ("onset", pa.float64()),
            ("duration", pa.float64()),
            ("sample", pa.int64()),
            ("trial_type", pa.string()),
            ("value", pa.int64()),
            ("target_emotion", pa.string()),
            ("channel", pa.string()),
            ("source", pa.string()),
            ("label", pa.string()),
            ("response_emotion", pa.string()),
            ("response_match", pa.bool_()),
            ("simulated", pa.bool_()),
        ]
    )


def _event_records(plan: SessionPlan, rows: Sequence[events.EventRow]) -> list[dict[str, Any]]:
    """Event rows of one session as dicts."""
    rate = plan.rate_hz
    return [
        {
            "session": plan.name,
            "onset": row.onset_s(rate),
            "duration": row.duration_s(rate),
            "sample": row.sample,
            "trial_type": row.trial_type,
            "value": row.value,
            "target_emotion": row.target_emotion,
            "channel": row.channel,
            "source": row.source,
            "label": row.label,
            "response_emotion": row.response_emotion,
            "response_match": row.response_match,
            "simulated": plan.simulated,
        }
        for row in rows
    ]


def samples_schema(value_column: str = "value_mv") -> Any:
    """Schema of the long sample tables (`value_mv`, or `value` in the channels' own units)."""
    import pyarrow as pa

    text = pa.dictionary(pa.int16(), pa.string())
    return pa.schema(
        [
            ("session", text),
            ("channel", text),
            ("sample_index", pa.int64()),
            ("time_s", pa.float64()),
            (value_column, pa.float32()),
            ("condition", pa.dictionary(pa.int16(), pa.string())),
            ("simulated", pa.bool_()),
        ]
    )


def write_samples(
    path: Path, store: SessionStore, plan: SessionPlan, found: events.SessionEvents, fmt: str
) -> None:
    """One session's samples in long format, 60 s per row group."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    spans = events.conditions(found.markers, plan.record.samples_per_channel, plan.rate_hz)
    schema = samples_schema("value_mv" if _in_voltages(plan) else "value")
    writer: Any = (
        pq.ParquetWriter(path, schema, compression="zstd")
        if fmt == "parquet"
        else pcsv.CSVWriter(path, _plain(schema.empty_table()).schema)
    )
    try:
        for batch in _sample_batches(store, plan, spans, schema):
            writer.write_table(batch if fmt == "parquet" else _plain(batch))
    finally:
        writer.close()


def _sample_batches(
    store: SessionStore, plan: SessionPlan, spans: Sequence[events.Condition], schema: Any
) -> Any:
    """Tables of 60 s of samples each, in long format."""
    import pyarrow as pa

    rate = plan.rate_hz
    n_channels = len(plan.channel_names)
    session = pa.array([plan.name])
    channels = pa.array(list(plan.channel_names))
    known = condition_names(spans)
    names = pa.array(list(known))
    total = plan.record.samples_per_channel
    window = max(1, round(WINDOW_S * rate))
    for start in range(0, total, window):
        samples = store.read_samples(plan.record.id, start, min(total, start + window))
        n = samples.values.shape[0]
        index = np.arange(start, start + n, dtype=np.int64)
        values = _physical(plan, samples.values).astype(np.float32).ravel()
        missing = samples.missing.ravel()
        condition = np.repeat(_condition_codes(spans, start, n, known), n_channels)
        yield pa.table(
            [
                pa.DictionaryArray.from_arrays(np.zeros(n * n_channels, np.int16), session),
                pa.DictionaryArray.from_arrays(
                    np.tile(np.arange(n_channels, dtype=np.int16), n), channels
                ),
                pa.array(np.repeat(index, n_channels)),
                pa.array(np.repeat(index / rate, n_channels)),
                pa.array(values, mask=missing),
                pa.DictionaryArray.from_arrays(pa.array(condition, mask=condition < 0), names),
                pa.array(np.full(n * n_channels, plan.simulated)),
            ],
            schema=schema,
        )


def _in_voltages(plan: SessionPlan) -> bool:
    """Whether every channel is in a voltage unit (the sample table then holds millivolts)."""
    return all(spec.unit in MV_PER_UNIT for spec in plan.record.channels)


def _physical(plan: SessionPlan, stored: np.ndarray) -> np.ndarray:
    """(samples, channels) stored values in millivolts (a voltage session) or in each
    channel's own unit, by each channel's scale and offset."""
    voltages = _in_voltages(plan)
    return np.column_stack(
        [
            spec.to_physical(stored[:, index]) * (MV_PER_UNIT[spec.unit] if voltages else 1.0)
            for index, spec in enumerate(plan.record.channels)
        ]
    )


def condition_names(spans: Sequence[events.Condition]) -> tuple[str, ...]:
    """Values of the condition column: the emotions and rest, then other conditions found."""
    extra = sorted({span.name for span in spans} - set(CONDITIONS))
    return (*CONDITIONS, *extra)


def _condition_codes(
    spans: Sequence[events.Condition], start: int, n: int, names: Sequence[str]
) -> np.ndarray:
    """Per-sample condition index into `names` for samples [start, start+n), -1 for none."""
    codes = np.full(n, -1, np.int16)
    for span in spans:
        lo, hi = max(span.start, start), min(span.stop, start + n)
        if hi > lo and span.name in names:
            codes[lo - start : hi - start] = names.index(span.name)
    return codes


def _write_predictions(
    root: Path,
    store: SessionStore,
    plans: Sequence[SessionPlan],
    fmt: str,
    code_labels: Mapping[str, str],
) -> None:
    """predictions.<ext> and the sanitised model cards, when any session has predictions."""
    import pyarrow as pa

    rows: list[dict[str, Any]] = []
    for plan in plans:
        for table in predictions.session_tables(store, plan):
            for values in table.rows:
                row = dict(zip(table.columns, values, strict=True))
                rows.append(
                    {"session": plan.name, "model_id": table.model_id, "run_kind": table.kind}
                    | row
                    | {"simulated": plan.simulated}
                )
    if not rows:
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    table = pa.Table.from_pylist([{key: row.get(key) for key in columns} for row in rows])
    _write(root / f"predictions.{fmt}", table, fmt)
    for model_id, card in predictions.model_cards(store, plans).items():
        safe = predictions.sanitize_card(dict(card), code_labels)
        write_json(root / "models" / f"{predictions.desc_label(model_id)}.card.json", safe)


def _write_trials(
    root: Path, store: SessionStore, plans: Sequence[SessionPlan], fmt: str
) -> list[str]:
    """trials.<ext>: the long trial table of every exported session (default options), when
    any session has a trial; the warnings of the sessions left out."""
    found, skipped = trials_derivative.export_trials(store, plans, TrialOptions())
    rows = [row for plan in plans for row in found[plan.record.id]]
    if rows:
        _write(root / f"trials.{fmt}", trials_derivative.trials_table(rows), fmt)
    return [s.warning for s in skipped]
