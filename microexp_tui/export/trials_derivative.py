"""Trial tables in an export: a BIDS derivative (derivatives/trials/) or a table beside the others.

Each exported participant's sessions are analysed together with the default TrialOptions
(z within the participant's sessions in this export), labelled with the export's own
subject and session labels, so a trial table joins the rest of the export and never shows
an internal id or a participant code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from microexp_tui.analysis.trials.onsets import trial_onsets
from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.pooled import labelled_session_rows
from microexp_tui.analysis.trials.standardise import standardise
from microexp_tui.analysis.trials.table import COLUMN_DESCRIPTIONS, TRIAL_COLUMNS, TrialRow
from microexp_tui.errors import InputError
from microexp_tui.export.edf import EDF_FORMAT, FORMATS_BY_SAMPLE_FORMAT
from microexp_tui.export.files import write_json, write_tsv
from microexp_tui.export.plan import SessionPlan
from microexp_tui.export.trial_files import trial_schema
from microexp_tui.store.sessions import SessionStore

DERIVATIVE = "trials"
"""The folder under derivatives/ and the `desc-` entity of every trial table."""
SECONDS_COLUMNS = frozenset(
    {"onset_s", "bin_start_s", "bin_end_s", "peak_latency_s", "onset_latency_s"}
)
PERCENT_COLUMNS = frozenset({"pct_change", "pct_mvc"})
ENVELOPE_COLUMNS = frozenset({"baseline", "mean", "change", "peak"})
"""Columns in the envelope's unit (the `unit` column names it per row)."""


@dataclass(frozen=True)
class Skipped:
    """An exported session with onsets that could not be analysed, and why."""

    plan: SessionPlan
    reason: str
    """The analysis's message (it names the internal session id: for the operator only)."""

    @property
    def note(self) -> str:
        """What the export itself may say about it (its exported name only)."""
        return f"{self.plan.name} has no trial table (it cannot be analysed)"

    @property
    def warning(self) -> str:
        """What the operator is told."""
        return f"{self.plan.name} has no trial table: {self.reason}"


def export_trials(
    store: SessionStore, plans: Sequence[SessionPlan], options: TrialOptions
) -> tuple[dict[int, list[TrialRow]], list[Skipped]]:
    """Trial rows per session id (the export's labels) and each session left out.

    What `participant_trials` does per participant, leaving out (with a note) a session that
    cannot be analysed (raw EMG below 1 kHz, say) rather than the participant's others.
    """
    by_subject: dict[str, list[SessionPlan]] = {}
    for plan in plans:
        if not has_onsets(store, plan):
            continue
        by_subject.setdefault(plan.subject.label, []).append(plan)
    rows: dict[int, list[TrialRow]] = {plan.record.id: [] for plan in plans}
    by_label = {(p.subject.label, p.session_label): p.record.id for p in plans}
    skipped: list[Skipped] = []
    for label, own in sorted(by_subject.items()):
        found: list[TrialRow] = []
        for plan in own:
            try:
                found += labelled_session_rows(
                    store,
                    [plan.record.id],
                    options,
                    site="",
                    participant=label,
                    session_labels={plan.record.id: plan.session_label},
                )
            except InputError as err:
                skipped.append(Skipped(plan, str(err)))
        for row in standardise(found, options.exclude_sd):
            rows[by_label[(label, row.session)]].append(row)
    return rows, skipped


def has_onsets(store: SessionStore, plan: SessionPlan) -> bool:
    """Whether the session has a stimulus or event onset to cut a trial around."""
    return bool(trial_onsets(store.markers(plan.record.id), plan.rate_hz))


def cells(row: TrialRow) -> list[Any]:
    """One TSV row: empty texts as n/a, like every other missing value."""
    return [None if value == "" else value for value in astuple(row)]


def column_sidecar(rows: Sequence[TrialRow]) -> dict[str, Any]:
    """Every column's description, with its unit where it has one."""
    units = sorted({row.unit for row in rows if row.unit})
    described: dict[str, Any] = {}
    for name in TRIAL_COLUMNS:
        entry: dict[str, Any] = {"Description": COLUMN_DESCRIPTIONS[name]}
        if name in SECONDS_COLUMNS:
            entry["Units"] = "s"
        elif name in PERCENT_COLUMNS:
            entry["Units"] = "%"
        elif name in ENVELOPE_COLUMNS and len(units) == 1:
            entry["Units"] = units[0]
        elif name == "z":
            entry["Units"] = "SD"
        elif name == "excluded":
            entry["Levels"] = {"true": "excluded on this muscle", "false": "kept"}
        described[name] = entry
    return described


def data_extension(plan: SessionPlan) -> str:
    """The raw data file's extension (.edf, .bdf for 32-bit and float sessions)."""
    return FORMATS_BY_SAMPLE_FORMAT.get(plan.record.sample_format, EDF_FORMAT).extension


def trials_sidecar(
    rows: Sequence[TrialRow], plan: SessionPlan, options: TrialOptions
) -> dict[str, Any]:
    """The JSON sidecar of one session's trial table: what it is, the options, every column."""
    return {
        "Description": "Trial-level facial-EMG responses: per trial, muscle and time bin, the "
        "mean rectified envelope in the response window minus the pre-stimulus baseline, "
        "standardised within participant and muscle over this participant's sessions in the "
        "export, with exclusions and their reasons"
        + (" (SIMULATED session)" if plan.simulated else ""),
        "Sources": [f"bids:raw:{plan.emg_dir.as_posix()}/{plan.stem}_emg{data_extension(plan)}"],
        "TrialOptions": options.model_dump(mode="json"),
        "Simulated": plan.simulated,
        "Trials": len({row.trial for row in rows}),
        **column_sidecar(rows),
    }


def derivative_description(raw: Mapping[str, Any], notes: Sequence[str]) -> dict[str, Any]:
    """The derivative's dataset_description.json from the raw dataset's (name, generator)."""
    described = {key: value for key, value in raw.items() if key != "SourceDatasets"}
    described["Name"] = f"{raw['Name']}: trial-level responses"
    described["DatasetType"] = "derivative"
    described["DatasetLinks"] = {"raw": "../../"}
    generator = dict(raw["GeneratedBy"][0])
    generator["Description"] = "Trial tables: baseline-corrected responses per trial, muscle "
    generator["Description"] += "and time bin" + (f"; {'; '.join(notes)}" if notes else "")
    described["GeneratedBy"] = [generator]
    return described


def write_bids_trials(
    base: Path,
    plans: Sequence[SessionPlan],
    rows: Mapping[int, Sequence[TrialRow]],
    options: TrialOptions,
) -> None:
    """Each session's `<stem>_desc-trials_emg.tsv` and its JSON sidecar under `base` (none
    for a session without trials)."""
    for plan in plans:
        own = rows[plan.record.id]
        if not own:
            continue
        stem = base / plan.emg_dir / f"{plan.stem}_desc-{DERIVATIVE}_emg"
        write_tsv(stem.with_suffix(".tsv"), TRIAL_COLUMNS, (cells(row) for row in own))
        write_json(stem.with_suffix(".json"), trials_sidecar(own, plan, options))


def trials_table(rows: Sequence[TrialRow]) -> Any:
    """The long table of `rows` as a pyarrow Table (empty texts as nulls)."""
    import pyarrow as pa

    records = [dict(zip(TRIAL_COLUMNS, cells(row), strict=True)) for row in rows]
    return pa.Table.from_pylist(records, schema=trial_schema())
