"""Run an export: plan, write into a hidden temporary folder, scan, manifest, move into place.

The output folder appears only when everything was written, scanned and hashed: until then
the files sit in `.<name>.partial-<random>` beside it, which is removed on any failure,
interruption or cancellation (a killed process leaves only that hidden folder, which has
no manifest and so never passes `export verify`). This is the API the TUI worker calls:
`progress(done, total, message)` after each step, `cancel` checked between steps.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microexp_tui.errors import InputError
from microexp_tui.export import bids, pii, tabular
from microexp_tui.export.dataset_template import (
    PLACEHOLDER_MARK,
    DatasetTemplate,
    load_dataset_template,
)
from microexp_tui.export.kanon import DEFAULT_K, KAnonymityReport, k_anonymity
from microexp_tui.export.manifest import MANIFEST_NAME, write_manifest
from microexp_tui.export.plan import SessionPlan, build_plans, select_sessions
from microexp_tui.export.pseudonym import SiteSecret, load_or_create_secret
from microexp_tui.export.scan import scan_tree
from microexp_tui.expressions.stimulus_response import DEFAULT_RULE, ResponseRule
from microexp_tui.files import file_sha256, held_by_a_writer, hold_while_writing
from microexp_tui.paths import tighten_tree_to_owner
from microexp_tui.store.sessions import SessionStore

PARTIAL_MARK = ".partial-"
"""In the name of the hidden folder an export writes into before it is moved into place."""
FORMATS: tuple[str, ...] = ("bids", "parquet", "csv")
ProgressCallback = Callable[[int, int, str], None]
MAX_LISTED_FINDINGS = 20
DATASET_DESCRIPTION = "dataset_description.json"
TEMPLATE_FINDING_HINT = (
    "\nIn dataset_description.json or README.md the value comes from the dataset template "
    "(--dataset-template): names of researchers who are operators in the database may be "
    "listed there, but never a participant's name, code, contact or a stored date; remove "
    "it from the template."
)


class IdentifyingDataError(InputError):
    """The export found identifying values in its own files and refused to finish."""

    def __init__(self, findings: Sequence[pii.Finding], out_dir: Path) -> None:
        """Name every finding (masked) and say that nothing was published."""
        self.findings = list(findings)
        lines = [f"  - {f.describe()}" for f in self.findings[:MAX_LISTED_FINDINGS]]
        if len(self.findings) > MAX_LISTED_FINDINGS:
            lines.append(f"  ... and {len(self.findings) - MAX_LISTED_FINDINGS} more")
        super().__init__(
            f"Export refused: identifying data from the database was found in the files it "
            f"wrote, so nothing was created at {out_dir}:\n"
            + "\n".join(lines)
            + "\nRemove or edit the value where it was typed (for example a marker label or "
            "a channel name), or leave that session out; if it came from a field the export "
            "should never copy, report it as a bug."
            + (TEMPLATE_FINDING_HINT if any(_dataset_level(f) for f in self.findings) else "")
        )


class ExportCancelled(InputError):
    """The caller cancelled the export; nothing was created."""


@dataclass
class ExportReport:
    """What an export produced (kept by the caller; never written into the export)."""

    out_dir: Path
    fmt: str
    sessions: list[dict[str, Any]]
    files: int
    bytes: int
    elapsed_s: float
    manifest_sha256: str
    kanon: KAnonymityReport
    secret_path: Path
    secret_created: bool
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready summary for `--json` and the TUI."""
        return {
            "out_dir": str(self.out_dir),
            "format": self.fmt,
            "sessions": self.sessions,
            "files": self.files,
            "bytes": self.bytes,
            "elapsed_s": round(self.elapsed_s, 3),
            "manifest_sha256": self.manifest_sha256,
            "k_anonymity": self.kanon.as_json(),
            "secret_file": str(self.secret_path),
            "secret_created": self.secret_created,
            "warnings": self.warnings,
        }


@dataclass
class _Steps:
    """Progress reporting and cancellation between steps."""

    total: int
    progress: ProgressCallback | None
    cancel: threading.Event | None
    done: int = 0

    def __call__(self, message: str) -> None:
        """Count a finished step, report it, and stop here if cancelled."""
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, message)
        if self.cancel is not None and self.cancel.is_set():
            raise ExportCancelled("Export cancelled; nothing was created.")


def export_sessions(
    db_path: Path,
    out_dir: Path,
    session_ids: Sequence[int] | None = None,
    fmt: str = "bids",
    secret_file: Path | None = None,
    progress: ProgressCallback | None = None,
    *,
    k: int = DEFAULT_K,
    power_line_hz: float | None = None,
    cancel: threading.Event | None = None,
    dataset_template: str | Path | None = None,
    force_reason: str | None = None,
    response_rule: ResponseRule = DEFAULT_RULE,
    include_test_participants: bool = False,
) -> ExportReport:
    """Export sessions (all finished ones when `session_ids` is None) to a new `out_dir`;
    test participants' sessions are left out (with a warning) unless
    `include_test_participants`.

    `dataset_template` (a name from templates/datasets or a file) gives a BIDS export its
    authors, licence and setup; the shipped default holds placeholders. A broken audit
    chain refuses the export unless `force_reason` is given (it is audit-logged).
    """
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise InputError(f"Export format {fmt!r} is unknown: use one of {', '.join(FORMATS)}.")
    template = load_dataset_template(dataset_template)
    out_dir = out_dir.expanduser().resolve()
    _check_target(out_dir)
    db_path = _check_database(db_path)
    secret = load_or_create_secret(secret_file, out_dir)
    with SessionStore.open(db_path) as store:
        store.require_intact_audit_log("export", force_reason)
        chosen, warnings = select_sessions(
            store.list_sessions(), session_ids, include_test_participants
        )
        plans = build_plans(store, secret, chosen, power_line_hz, response_rule)
        kanon = k_anonymity(_quasi_identifiers(plans), k)
        steps = _Steps(len(plans) + 3, progress, cancel)
        steps("sessions planned")
        warnings += _remove_stale_partials(out_dir.parent)
        files, size, digest, written = _write_checked(
            store, secret, plans, fmt, template, out_dir, steps
        )
        warnings += written
    return ExportReport(
        out_dir=out_dir,
        fmt=fmt,
        sessions=[_session_summary(p) for p in plans],
        files=files,
        bytes=size,
        elapsed_s=time.perf_counter() - started,
        manifest_sha256=digest,
        kanon=kanon,
        secret_path=secret.path,
        secret_created=secret.created,
        warnings=warnings + kanon.warnings() + _template_warnings(template, fmt),
    )


def _template_warnings(template: DatasetTemplate, fmt: str) -> list[str]:
    """A warning when a BIDS export took some of its metadata from placeholders."""
    left = template.placeholders()
    if fmt != "bids" or not left:
        return []
    fields = ", ".join(dict.fromkeys(left))
    return [
        f"the dataset template {template.path} still holds placeholders marked "
        f"'{PLACEHOLDER_MARK}' ({fields}), and so does this export: copy the template, "
        "edit it and pass --dataset-template FILE"
    ]


def _check_target(out_dir: Path) -> None:
    """The output folder must not exist yet, or be empty: an export never overwrites."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(
            f"{out_dir} already exists and is not an empty folder; an export never overwrites. "
            "Choose a new --out folder (or remove the old export yourself)."
        )


def _check_database(db_path: Path) -> Path:
    """The database must exist (opening a missing path would create an empty one)."""
    resolved = db_path.expanduser().resolve()
    if not resolved.is_file():
        raise InputError(f"No session database at {resolved}; pass --db with its path.")
    return resolved


def _quasi_identifiers(plans: Sequence[SessionPlan]) -> list[tuple[str, str, str]]:
    """One (age band, sex, handedness) per distinct exported participant."""
    subjects = {p.subject.label: p.subject for p in plans}
    return [subject.quasi_identifiers for subject in subjects.values()]


def _session_summary(plan: SessionPlan) -> dict[str, Any]:
    """Which database session became which exported session (for the operator)."""
    return {
        "session_id": plan.record.id,
        "exported_as": plan.name,
        "task": plan.task_label,
        "simulated": plan.simulated,
    }


def _write_checked(
    store: SessionStore,
    secret: SiteSecret,
    plans: Sequence[SessionPlan],
    fmt: str,
    template: DatasetTemplate,
    out_dir: Path,
    steps: _Steps,
) -> tuple[int, int, str, list[str]]:
    """Write into a temporary folder, scan it, hash it, audit it, then move it to `out_dir`.

    Returns (files, bytes, manifest SHA-256, the writers' warnings). The audit entry is
    written before the move, so an export that can be seen was audited.
    """
    temp, lock_fd = _make_partial_folder(out_dir)
    try:
        labels = {p.code: f"sub-{secret.subject_label(p.code)}" for p in store.list_participants()}
        if fmt == "bids":
            warnings = bids.write_dataset(temp, store, plans, labels, steps, template.fields)
        else:
            warnings = tabular.write_tables(temp, store, plans, fmt, labels, steps)
        _refuse_identifying_data(store, secret, temp, out_dir, template)
        steps("no identifying data found")
        files, size = write_manifest(temp)
        tighten_tree_to_owner(temp)
        steps("manifest written")
        digest = file_sha256(temp / MANIFEST_NAME)
        _audit_export(store, fmt, plans, files, digest)
        _move_into_place(temp, out_dir)
    except OSError as err:
        shutil.rmtree(temp, ignore_errors=True)
        raise _output_error(err, out_dir) from err
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        os.close(lock_fd)
    return files, size, digest, warnings


def _audit_export(
    store: SessionStore, fmt: str, plans: Sequence[SessionPlan], files: int, digest: str
) -> None:
    """The audit entry of a finished export, written just before it is moved into place."""
    store.audit(
        "export",
        {
            "format": fmt,
            "sessions": [p.record.id for p in plans],
            "files": files,
            "manifest_sha256": digest,
        },
    )


def _make_partial_folder(out_dir: Path) -> tuple[Path, int]:
    """The hidden folder beside `out_dir` to write into, locked (flock) while this export runs."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{PARTIAL_MARK}", dir=out_dir.parent))
    except OSError as err:
        raise _output_error(err, out_dir) from err
    return temp, hold_while_writing(temp)


def _remove_stale_partials(folder: Path) -> list[str]:
    """Remove hidden partial exports in `folder` that no running export holds; one notice each."""
    notices = []
    try:
        candidates = [p for p in folder.iterdir() if _is_partial_export(p)]
    except OSError:
        return []
    for partial in candidates:
        if held_by_a_writer(partial):
            continue
        shutil.rmtree(partial, ignore_errors=True)
        notices.append(f"removed {partial}, left by an export that was stopped before it finished")
    return notices


def _is_partial_export(path: Path) -> bool:
    """Whether `path` is a hidden folder an export writes into (`.NAME.partial-XXXX`)."""
    return path.name.startswith(".") and PARTIAL_MARK in path.name and path.is_dir()


def _output_error(err: OSError, out_dir: Path) -> InputError:
    """An operating-system failure while writing the export, as an actionable InputError."""
    if err.errno == errno.ENOSPC:
        return InputError(
            f"The disk is full: the export to {out_dir} could not be written and nothing was "
            "created. Free some space (or choose --out on another disk) and export again."
        )
    where = err.filename or out_dir
    reason = (
        "part of the path is a file, not a folder"
        if err.errno in (errno.EEXIST, errno.ENOTDIR)
        else err.strerror or str(err)
    )
    return InputError(
        f"Cannot write the export to {out_dir}: {reason} ({where}). Choose an "
        "--out folder in a place you can write to; nothing was created."
    )


def _refuse_identifying_data(
    store: SessionStore, secret: SiteSecret, folder: Path, out_dir: Path, template: DatasetTemplate
) -> None:
    """Scan every written file; IdentifyingDataError naming what was found.

    Researchers the dataset template names (authors, acknowledgements) may also be operators
    in the database: their names pass in the dataset-level files only. A participant's name
    never passes, wherever it is.
    """
    key = pii.Sensitive("site secret", str(secret.path), secret.key.decode("ascii", "replace"))
    found = scan_tree(folder, pii.needles(pii.collect(store, [key])))
    declared = template.declared_text().encode("utf-8")
    findings = [f for f in found if not _declared_researcher(f, declared)]
    if findings:
        raise IdentifyingDataError(findings, out_dir)


def _declared_researcher(finding: pii.Finding, declared: bytes) -> bool:
    """Whether a finding is an operator's name that the dataset template itself declares,
    found in a dataset-level file (dataset_description.json, the top README.md)."""
    if finding.item.kind != pii.OPERATOR_NAME or not _dataset_level(finding):
        return False
    return any(True for _ in pii.scan_bytes(declared, pii.needles([finding.item])))


def _dataset_level(finding: pii.Finding) -> bool:
    """Whether a finding is in a file the dataset template fills (not a session's file)."""
    return finding.file == "README.md" or finding.file.endswith(DATASET_DESCRIPTION)


def _move_into_place(temp: Path, out_dir: Path) -> None:
    """Rename the finished folder to its final name (atomic; fails if it was filled meanwhile)."""
    try:
        os.rename(temp, out_dir)
    except OSError as err:
        raise InputError(
            f"Could not move the finished export to {out_dir}: {err.strerror or err}. Choose "
            "a new --out folder; nothing was created."
        ) from err
