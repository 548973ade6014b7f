"""`microexp trials`: trial tables of sessions from one or more stations, shareable like an export.

Participants are labelled as the anonymised export labels them (`sub-` + the keyed label of
the participant code under the site secret), or by the station's own codes with
`local_codes`; sessions by the export's session label (`ses-01`, the rank among the
participant's sessions), never an internal id. The same label at two stations (the same code
under the one secret of this run) is one person: their trials are standardised together.

Sessions are computed participant by participant in a process pool of two (memory holds the
sessions in flight and one participant's rows), written as they come into a hidden folder
beside the output, scanned for identifying data like an export, and only then moved into
place; an existing output is never overwritten.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.rows import relabelled
from microexp_tui.analysis.trials.table import WHOLE_WINDOW_BIN, TrialRow
from microexp_tui.errors import InputError
from microexp_tui.export import pii
from microexp_tui.export.plan import build_plans, select_sessions
from microexp_tui.export.pseudonym import SiteSecret, load_or_create_secret
from microexp_tui.export.runner import PARTIAL_MARK, IdentifyingDataError
from microexp_tui.export.scan import scan_tree
from microexp_tui.export.trial_files import (
    TABLE_FORMATS,
    TableWriter,
    WideTable,
    dataclass_table,
    rows_table,
    trial_schema,
    write_partitioned,
    write_table,
)
from microexp_tui.files import held_by_a_writer, hold_while_writing
from microexp_tui.paths import tighten_tree_to_owner

WORKERS = 2
"""Processes computing sessions (the station PCs have two cores)."""
IN_FLIGHT_PER_WORKER = 2
"""Sessions queued per worker ahead of the one being written (bounds memory)."""
SITE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""What a site name may hold: it becomes a folder name (site=NAME) and a table value."""
_POOL_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Station:
    """A station's session database and the site name its rows carry."""

    db_path: Path
    site: str


@dataclass(frozen=True)
class TrialRequest:
    """What `microexp trials` was asked for."""

    stations: tuple[Station, ...]
    out: Path
    options: TrialOptions = field(default_factory=TrialOptions)
    session_ids: tuple[int, ...] | None = None
    fmt: str = "csv"
    wide: bool = False
    partitioned: bool = False
    secret_file: Path | None = None
    local_codes: bool = False
    include_test_participants: bool = False


@dataclass(frozen=True)
class _Job:
    """One session to compute and the labels its rows get."""

    db_path: Path
    session_id: int
    site: str
    participant: str
    session: str
    group: tuple[str, ...]
    """Sessions of one group are standardised together (one person)."""


@dataclass
class TrialTablesReport:
    """What a trial-table run wrote (printed by the command; never written into a table)."""

    files: list[Path]
    rows: int = 0
    trials: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    sites: list[str] = field(default_factory=list)
    participants: int = 0
    warnings: list[str] = field(default_factory=list)
    secret_path: Path | None = None
    secret_created: bool = False

    def as_json(self) -> dict[str, Any]:
        """JSON-ready summary for `--json`."""
        return {
            "files": [str(p) for p in self.files],
            "rows": self.rows,
            "trials": self.trials,
            "excluded": dict(sorted(self.excluded.items())),
            "sessions": self.sessions,
            "participants": self.participants,
            "sites": self.sites,
            "warnings": self.warnings,
            "secret_file": str(self.secret_path) if self.secret_path else None,
            "secret_created": self.secret_created,
        }


def site_name(text: str, where: str) -> str:
    """A checked site name; InputError saying what a site name may hold."""
    if not SITE_PATTERN.fullmatch(text):
        raise InputError(
            f"Site name {text!r} ({where}) is not usable: use 1-64 letters, digits, '_', '-' "
            "or '.', starting with a letter or digit (it becomes a folder name site=NAME)."
        )
    return text


def default_site(db_path: Path) -> str:
    """A database's site name when --db gives none: its file name without the extension."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", db_path.stem).strip("-.") or "site"
    return stem[:64]


def output_paths(out: Path, fmt: str, partitioned: bool) -> tuple[Path, Path]:
    """The table (file, or folder when partitioned) and the summary file beside it."""
    if partitioned:
        return out, out.with_name(f"{out.name}_summary.parquet")
    stem = out.stem if out.suffix.lower() == f".{fmt}" else out.name
    return out, out.with_name(f"{stem}_summary.{fmt}")


def write_trial_tables(request: TrialRequest) -> TrialTablesReport:
    """Compute, write, scan and move into place the tables `request` asks for."""
    _check_request(request)
    out = request.out.expanduser().resolve()
    table_path, summary_path = output_paths(out, request.fmt, request.partitioned)
    for path in (table_path, summary_path):
        if path.exists() or path.is_symlink():
            raise InputError(
                f"{path} already exists; trial tables never overwrite. Choose another -o "
                "(or remove the old file yourself)."
            )
    secret = _secret(request, out)
    jobs, needles, warnings = _plan(request, secret)
    report = TrialTablesReport(files=[table_path, summary_path], warnings=warnings)
    report.secret_path = secret.path if secret else None
    report.secret_created = bool(secret and secret.created)
    report.warnings += _remove_stale_partials(out)
    temp = _partial_folder(out)
    lock = hold_while_writing(temp)
    try:
        names = (temp / table_path.name, temp / summary_path.name)
        _write(request, jobs, names[0], names[1], report)
        tighten_tree_to_owner(temp)
        findings = scan_tree(temp, needles)
        if findings:
            raise IdentifyingDataError(findings, table_path)
        for written, final in zip(names, (table_path, summary_path), strict=True):
            _move(written, final)
    finally:
        os.close(lock)
        shutil.rmtree(temp, ignore_errors=True)
    return report


def _check_request(request: TrialRequest) -> None:
    """Refuse combinations that cannot be written, saying what to change."""
    if request.fmt not in TABLE_FORMATS:
        raise InputError(f"Format {request.fmt!r} is unknown: use csv, tsv or parquet.")
    if request.partitioned and request.fmt != "parquet":
        raise InputError("--partitioned writes a Parquet dataset: add --format parquet.")
    if request.partitioned and request.wide:
        raise InputError(
            "--wide and --partitioned do not go together: the wide table is one file "
            "(for SPSS); write it without --partitioned."
        )
    if not request.stations:
        raise InputError("No session database given: pass --db PATH.")
    if request.session_ids is not None and len(request.stations) > 1:
        raise InputError(
            "Session ids name sessions of one database; with several --db use --all "
            "(or run once per database)."
        )
    sites = [station.site for station in request.stations]
    paths = [station.db_path.expanduser().resolve() for station in request.stations]
    if len(set(paths)) != len(paths):
        raise InputError("The same database is given twice with --db; give each once.")
    if len(set(sites)) != len(sites):
        raise InputError(
            f"Two databases have the same site name ({', '.join(sorted(sites))}); name each "
            "station with --db PATH=SITE."
        )
    for station in request.stations:
        if not station.db_path.expanduser().is_file():
            raise InputError(f"No session database at {station.db_path}; pass --db with its path.")


def _secret(request: TrialRequest, out: Path) -> SiteSecret | None:
    """The site secret of the keyed labels (None with local codes: nothing is keyed)."""
    if request.local_codes:
        return None
    return load_or_create_secret(request.secret_file, out)


def _plan(
    request: TrialRequest, secret: SiteSecret | None
) -> tuple[list[_Job], list[pii.Needle], list[str]]:
    """The sessions to compute (participant by participant), the identifying values to scan
    for, and warnings about sessions left out."""
    from microexp_tui.store.sessions import SessionStore

    planning = secret or SiteSecret(secrets.token_bytes(32), Path(), created=False)
    jobs: list[_Job] = []
    items: list[pii.Sensitive] = []
    if secret is not None:
        items.append(pii.Sensitive("site secret", str(secret.path), secret.key.decode("ascii")))
    warnings: list[str] = []
    for station in request.stations:
        db_path = station.db_path.expanduser().resolve()
        with SessionStore.open(db_path) as store:
            ids = list(request.session_ids) if request.session_ids is not None else None
            chosen, skipped = select_sessions(
                store.list_sessions(), ids, request.include_test_participants
            )
            plans = build_plans(store, planning, chosen, None)
            found = pii.collect(store)
        warnings += [f"{station.site}: {w}" for w in skipped]
        items += [i for i in found if not (request.local_codes and i.kind == "participant code")]
        for plan in plans:
            code = plan.subject.code
            participant = code if request.local_codes else f"sub-{plan.subject.label}"
            group = (station.site, code) if request.local_codes else (participant,)
            jobs.append(
                _Job(
                    db_path,
                    plan.record.id,
                    station.site,
                    participant,
                    f"ses-{plan.session_label}",
                    group,
                )
            )
    jobs.sort(key=lambda job: (job.group, job.site, job.session))
    return jobs, pii.needles(list(dict.fromkeys(items))), warnings


@dataclass
class _Part:
    """What a worker made of one participant: the table or wide rows, summary and counts."""

    table: Any = None
    """The long rows as an Arrow table (None when written to partitions or wide)."""
    wide: WideTable | None = None
    summary: list[Any] = field(default_factory=list)
    rows: int = 0
    trials: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    sessions: set[tuple[str, str, str]] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    """Why sessions of this participant have no trials (warnings, or a refusal)."""


def _write(
    request: TrialRequest,
    jobs: Sequence[_Job],
    table_path: Path,
    summary_path: Path,
    report: TrialTablesReport,
) -> None:
    """Compute and write every participant's rows, then the summary (and wide table)."""
    from microexp_tui.analysis.trials.summary import SummaryRow

    long = None
    if not request.partitioned and not request.wide:
        long = TableWriter(table_path, request.fmt, trial_schema())
    wide = WideTable()
    summary: list[SummaryRow] = []
    excluded: Counter[str] = Counter()
    sessions: set[tuple[str, str, str]] = set()
    partitions = table_path if request.partitioned else None
    try:
        for part in _participants(_groups(jobs), request, partitions):
            if part.skipped and request.session_ids is not None:
                raise InputError(part.skipped[0])
            report.warnings += part.skipped
            if long is not None and part.table is not None:
                long.write(part.table)
            if part.wide is not None:
                wide.merge(part.wide)
            summary += part.summary
            report.rows += part.rows
            report.trials += part.trials
            excluded.update(part.excluded)
            sessions |= part.sessions
    finally:
        if long is not None:
            long.close()
    if report.rows == 0:
        raise InputError(
            "None of the selected sessions has trials (stimulus onsets, triggers or imported "
            "events): " + "; ".join(report.warnings)
        )
    if request.partitioned:
        table_path.mkdir(parents=True, exist_ok=True)
    if request.wide:
        write_table(table_path, request.fmt, wide.table())
    summary_fmt = "parquet" if request.partitioned else request.fmt
    write_table(summary_path, summary_fmt, dataclass_table(summary, SummaryRow))
    report.excluded = dict(excluded)
    report.sessions = len(sessions)
    report.sites = sorted({site for site, _, _ in sessions})
    report.participants = len({(site, who) for site, who, _ in sessions})


def _groups(jobs: Sequence[_Job]) -> list[list[_Job]]:
    """The jobs of each participant (jobs are sorted by group)."""
    groups: list[list[_Job]] = []
    for job in jobs:
        if groups and groups[-1][0].group == job.group:
            groups[-1].append(job)
        else:
            groups.append([job])
    return groups


def _participants(
    groups: Sequence[list[_Job]], request: TrialRequest, partitions: Path | None
) -> Iterator[_Part]:
    """Each participant's part, in order, computed ahead in a pool of WORKERS processes."""
    if len(groups) <= 1 or sum(len(g) for g in groups) <= 1:
        for group in groups:
            yield participant_part(group, request.options, partitions, request.wide)
        return
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
        waiting: deque[Future[_Part]] = deque()
        queue = iter(groups)
        for group in queue:
            waiting.append(
                pool.submit(participant_part, group, request.options, partitions, request.wide)
            )
            if len(waiting) >= WORKERS * IN_FLIGHT_PER_WORKER:
                break
        while waiting:
            part = waiting.popleft().result()
            following = next(queue, None)
            if following is not None:
                waiting.append(
                    pool.submit(
                        participant_part, following, request.options, partitions, request.wide
                    )
                )
            yield part


def participant_part(
    group: Sequence[_Job], options: TrialOptions, partitions: Path | None, wide: bool
) -> _Part:
    """One participant's sessions computed, standardised together and summarised; written to
    their partitions when `partitions` is given, else returned as a table or wide rows."""
    from microexp_tui.analysis.trials.summary import summarise

    part = _Part()
    sessions = []
    for job in group:
        rows, problem = compute_session(job.db_path, job.session_id, options)
        if problem is not None:
            part.skipped.append(f"{job.site} {job.participant} {job.session} skipped: {problem}")
            continue
        sessions.append(
            relabelled(rows, site=job.site, participant=job.participant, session=job.session)
        )
    if not sessions:
        return part
    rows = _standardised(sessions, options)
    part.summary = summarise(rows)
    part.rows = len(rows)
    part.sessions = {(r.site, r.participant, r.session) for r in rows}
    part.trials = len({(r.site, r.participant, r.session, r.trial) for r in rows})
    for row in rows:
        if row.bin == WHOLE_WINDOW_BIN and row.excluded:
            part.excluded.update(row.exclude_reason.split("; "))
    if partitions is not None:
        write_partitioned(partitions, rows)
    elif wide:
        part.wide = WideTable()
        part.wide.add(rows)
    else:
        part.table = rows_table(rows)
    return part


def _standardised(sessions: Sequence[list[TrialRow]], options: TrialOptions) -> list[TrialRow]:
    """One person's sessions standardised together, across stations too."""
    from microexp_tui.analysis.trials.standardise import standardise

    rows = [row for session in sessions for row in session]
    if len({row.site for row in rows}) <= 1:
        return standardise(rows, options.exclude_sd)
    pooled = [replace(r, site="", session=f"{r.site}{_POOL_SEPARATOR}{r.session}") for r in rows]
    result = []
    for row in standardise(pooled, options.exclude_sd):
        site, session = row.session.split(_POOL_SEPARATOR, 1)
        result.append(replace(row, site=site, session=session))
    return result


_STORES: dict[Path, Any] = {}
"""Stores a worker process opened (one open per database and process)."""


def compute_session(
    db_path: Path, session_id: int, options: TrialOptions
) -> tuple[list[TrialRow], str | None]:
    """One session's trial rows (unstandardised), or why it has none, in any process."""
    from microexp_tui.analysis.trials.session import NoTrialsError, session_trials
    from microexp_tui.store.sessions import SessionStore

    store = _STORES.get(db_path)
    if store is None:
        store = _STORES[db_path] = SessionStore.open(db_path)
    try:
        return session_trials(store, session_id, options).rows, None
    except NoTrialsError as err:
        return [], str(err)


def _partial_folder(out: Path) -> Path:
    """A hidden folder beside `out` to write into (removed on any failure)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}{PARTIAL_MARK}", dir=out.parent))
    except OSError as err:
        raise InputError(
            f"Cannot write beside {out}: {err.strerror or err}. Choose an -o in a folder you "
            "can write to."
        ) from err


def _remove_stale_partials(out: Path) -> list[str]:
    """Remove hidden partial folders of this output that no running command holds."""
    notices = []
    for partial in out.parent.glob(f".{glob.escape(out.name)}{PARTIAL_MARK}*"):
        if partial.is_dir() and not held_by_a_writer(partial):
            shutil.rmtree(partial, ignore_errors=True)
            notices.append(f"removed {partial}, left by a run that was stopped before it finished")
    return notices


def _move(written: Path, final: Path) -> None:
    """Move a finished file or folder into place, refusing one that appeared meanwhile."""
    if final.exists() or final.is_symlink():
        raise InputError(f"{final} appeared while the tables were written; nothing was replaced.")
    try:
        os.rename(written, final)
    except OSError as err:
        raise InputError(
            f"Could not move the finished table to {final}: {err.strerror or err}."
        ) from err


def parse_station(text: str, resolve: Callable[[str], Path]) -> Station:
    """A `--db PATH[=SITE]` value as a Station (site: SITE, else the file's stem)."""
    path_text, _, site = text.rpartition("=") if "=" in text else (text, "", "")
    path = resolve(path_text)
    return Station(path, site_name(site, f"--db {text}") if site else default_site(path))
