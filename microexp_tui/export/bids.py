"""BIDS EMG datasets: dataset files, per-session EDF+ and sidecars, predictions as derivatives."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from microexp_tui import __version__
from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.export import edf, events, predictions, sidecars, trials_derivative
from microexp_tui.export.dataset_template import DatasetTemplateFile
from microexp_tui.export.files import write_json, write_text, write_tsv
from microexp_tui.export.plan import SessionPlan, SubjectPlan
from microexp_tui.export.readme import bids_readme
from microexp_tui.store.sessions import SessionStore

BIDS_VERSION = "1.11.1"
HED_VERSION = "8.4.0"
"""HED schema the events' annotations are read against (the export writes no HED tags yet)."""
UNPUBLISHED_SOURCE = {"URL": "n/a"}
"""SourceDatasets entry of an export from a session database that is not published."""
DERIVATIVE = "microexp-predictions"
IGNORED = ("MANIFEST.sha256",)
"""Files outside the BIDS specification, listed in .bidsignore for the validator."""

PARTICIPANTS_SIDECAR: dict[str, Any] = {
    "participant_id": {"Description": "Keyed pseudonym: HMAC-SHA256 of the site's code."},
    "age_band": {
        "Description": "Age in 5-year bands at the year of the first session (from the "
        "birth year only; 90 and over as 90+); birth dates are never exported.",
    },
    "sex": {
        "Description": "Sex as reported (n/a: not given or undisclosed).",
        "Levels": {"female": "female", "male": "male", "other": "other"},
    },
    "handedness": {
        "Description": "Handedness as reported.",
        "Levels": {"left": "left", "right": "right", "ambidextrous": "ambidextrous"},
    },
    "sessions": {"Description": "Number of this participant's sessions in the dataset."},
    "simulated_sessions": {
        "Description": "How many of them are SIMULATED (signals from the simulated board)."
    },
}


def write_dataset(
    root: Path,
    store: SessionStore,
    plans: Sequence[SessionPlan],
    code_labels: Mapping[str, str],
    step: Callable[[str], None],
    dataset: DatasetTemplateFile,
) -> list[str]:
    """Write a complete BIDS dataset for `plans` under `root` (an empty folder); return the
    warnings for the operator (sessions left out of the trial tables, and why)."""
    write_dataset_files(root, plans, dataset)
    for plan in plans:
        write_session(root, store, plan, dataset)
        step(f"{plan.name} written")
    write_subject_sessions(root, plans)
    write_derivatives(root, store, plans, code_labels, dataset)
    return write_trials_derivative(root, store, plans, dataset)


def write_dataset_files(
    root: Path, plans: Sequence[SessionPlan], dataset: DatasetTemplateFile
) -> None:
    """dataset_description.json, README.md, participants.tsv/json and .bidsignore."""
    write_json(root / "dataset_description.json", dataset_description(dataset))
    write_text(root / "README.md", bids_readme(plans, dataset.readme))
    write_text(root / ".bidsignore", "\n".join(IGNORED) + "\n")
    subjects = _subjects(plans)
    rows = []
    for subject in subjects:
        own = [p for p in plans if p.subject.label == subject.label]
        rows.append(
            [
                f"sub-{subject.label}",
                subject.age_band,
                subject.sex,
                subject.handedness,
                len(own),
                sum(p.simulated for p in own),
            ]
        )
    columns = ["participant_id", "age_band", "sex", "handedness", "sessions", "simulated_sessions"]
    write_tsv(root / "participants.tsv", columns, rows)
    write_json(root / "participants.json", PARTICIPANTS_SIDECAR)


def dataset_description(dataset: DatasetTemplateFile, derivative: bool = False) -> dict[str, Any]:
    """The dataset_description.json of the raw dataset or of the predictions derivative."""
    described: dict[str, Any] = {
        "Name": dataset.name,
        "BIDSVersion": BIDS_VERSION,
        "HEDVersion": HED_VERSION,
        "DatasetType": "derivative" if derivative else "raw",
        **_people_and_terms(dataset),
        "GeneratedBy": [
            {
                "Name": "microexp-tui",
                "Version": __version__,
                "Description": "Emotion predictions of the exported sessions"
                if derivative
                else "Anonymised export of a microexp-tui session database",
            }
        ],
    }
    if derivative:
        described["Name"] = f"{dataset.name}: emotion predictions"
    else:
        described["SourceDatasets"] = _source_datasets(dataset)
    return described


def _people_and_terms(dataset: DatasetTemplateFile) -> dict[str, Any]:
    """Authors, licence, funding, approvals and references, leaving out what is not given."""
    described: dict[str, Any] = {
        "Authors": list(dataset.authors),
        "License": dataset.license,
        "Funding": list(dataset.funding),
        "EthicsApprovals": list(dataset.ethics_approvals),
        "Acknowledgements": dataset.acknowledgements,
        "HowToAcknowledge": dataset.how_to_acknowledge,
        "ReferencesAndLinks": list(dataset.references_and_links),
        "DatasetDOI": dataset.dataset_doi,
    }
    return {key: value for key, value in described.items() if value}


def _source_datasets(dataset: DatasetTemplateFile) -> list[dict[str, str]]:
    """SourceDatasets: the template's entries, else the unpublished session database."""
    entries = [
        {
            key: value
            for key, value in (("URL", s.url), ("DOI", s.doi), ("Version", s.version))
            if value
        }
        for s in dataset.source_datasets
    ]
    return entries or [UNPUBLISHED_SOURCE]


def _subjects(plans: Sequence[SessionPlan]) -> list[SubjectPlan]:
    """Distinct subjects of the plans, by label."""
    return sorted({p.subject.label: p.subject for p in plans}.values(), key=lambda s: s.label)


def write_session(
    root: Path, store: SessionStore, plan: SessionPlan, dataset: DatasetTemplateFile
) -> None:
    """The EDF+ file and sidecars of one session."""
    folder = root / plan.emg_dir
    folder.mkdir(parents=True, exist_ok=True)
    found = events.read_session_events(
        store, plan.record.id, plan.channel_names, plan.response_rule
    )
    notes = events.edf_annotations(found.markers, found.gaps, plan.rate_hz)
    edf.write_session_edf(folder / f"{plan.stem}_emg.edf", plan, store, notes)  # or .bdf
    write_json(folder / f"{plan.stem}_emg.json", sidecars.emg_sidecar(plan, dataset))
    write_tsv(
        folder / f"{plan.stem}_channels.tsv",
        sidecars.CHANNEL_COLUMNS,
        sidecars.channel_rows(plan, dataset),
    )
    write_tsv(
        folder / f"{plan.stem}_events.tsv",
        sidecars.EVENT_COLUMNS,
        sidecars.event_cells(found.rows, plan.rate_hz),
    )
    write_json(folder / f"{plan.stem}_events.json", sidecars.events_sidecar(found.rows, dataset))


def write_subject_sessions(root: Path, plans: Sequence[SessionPlan]) -> None:
    """Each subject's sessions.tsv (shifted acquisition time, simulated flag) and its sidecar."""
    for subject in _subjects(plans):
        own = [p for p in plans if p.subject.label == subject.label]
        base = root / f"sub-{subject.label}" / f"sub-{subject.label}_sessions"
        rows = [sidecars.session_row(p) for p in own]
        write_tsv(base.with_suffix(".tsv"), sidecars.SESSION_COLUMNS, rows)
        write_json(base.with_suffix(".json"), sidecars.SESSIONS_SIDECAR)


def write_derivatives(
    root: Path,
    store: SessionStore,
    plans: Sequence[SessionPlan],
    code_labels: Mapping[str, str],
    dataset: DatasetTemplateFile,
) -> bool:
    """Model predictions and sanitised model cards under derivatives/; False if none exist."""
    tables = {plan.record.id: predictions.session_tables(store, plan) for plan in plans}
    if not any(tables.values()):
        return False
    base = root / "derivatives" / DERIVATIVE
    write_json(base / "dataset_description.json", dataset_description(dataset, derivative=True))
    for model_id, card in predictions.model_cards(store, plans).items():
        safe = predictions.sanitize_card(dict(card), code_labels)
        write_json(base / "models" / f"{predictions.desc_label(model_id)}.card.json", safe)
    for plan in plans:
        for table in tables[plan.record.id]:
            stem = base / plan.emg_dir / f"{plan.stem}_desc-{table.desc}_predictions"
            write_tsv(stem.with_suffix(".tsv"), table.columns, table.rows)
            write_json(stem.with_suffix(".json"), _prediction_sidecar(table, plan))
    return True


def _prediction_sidecar(table: predictions.PredictionTable, plan: SessionPlan) -> dict[str, Any]:
    """Describe one predictions table: model, run kind, windows, columns."""
    return {
        "Description": "Emotion classification of sliding windows of the filtered envelope"
        + (" (SIMULATED session)" if plan.simulated else ""),
        "ModelCard": f"models/{table.desc}.card.json",
        "ModelId": table.model_id,
        "RunKind": table.kind,
        "HopMs": table.hop_ms,
        "WindowSamples": table.window_samples,
        "Classes": list(table.classes),
        "Simulated": plan.simulated,
        "onset": {"Description": "Start of the classified window.", "Units": "s"},
        "duration": {"Description": "Length of the window.", "Units": "s"},
        "sample": {"Description": "Sample index one past the window's end."},
        "label": {"Description": "Predicted class (neutral when the gate found no activity)."},
        "activation": {"Description": "Normalised activation the neutral gate compared."},
    }


def write_trials_derivative(
    root: Path, store: SessionStore, plans: Sequence[SessionPlan], dataset: DatasetTemplateFile
) -> list[str]:
    """derivatives/trials/: each session's trial table (default options) and its sidecar;
    nothing when no exported session has a trial; the warnings of the sessions left out."""
    options = TrialOptions()
    rows, skipped = trials_derivative.export_trials(store, plans, options)
    warnings = [s.warning for s in skipped]
    base = root / "derivatives" / trials_derivative.DERIVATIVE
    if not any(rows.values()):
        return warnings
    raw = dataset_description(dataset, derivative=True) | {"Name": dataset.name}
    write_json(
        base / "dataset_description.json",
        trials_derivative.derivative_description(raw, [s.note for s in skipped]),
    )
    trials_derivative.write_bids_trials(base, plans, rows, options)
    return warnings
