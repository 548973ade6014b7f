"""`generate_report`: check the output, read the session, lay out the sections, write atomically.

The PDF is written to a hidden temporary file in the target folder and renamed over the
target only when complete, so a failure or Ctrl-C never leaves half a report. Each report
written is recorded in the database's audit log.
"""

from __future__ import annotations

import errno
import glob
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.platypus import Flowable

from microexp_tui import __version__
from microexp_tui.errors import InputError
from microexp_tui.expressions.stimulus_response import DEFAULT_RULE, ResponseRule
from microexp_tui.files import file_sha256, held_by_a_writer, hold_while_writing
from microexp_tui.report import sections_models as models_part
from microexp_tui.report import sections_results as results_part
from microexp_tui.report import sections_session as session_part
from microexp_tui.report import sections_trials as trials_part
from microexp_tui.report import sections_validation as validation_part
from microexp_tui.report.charts import plot_width
from microexp_tui.report.document import PageFrame, build_pdf, frame_width_pt
from microexp_tui.report.gather import ReportData, gather
from microexp_tui.report.template import PAPERS, ReportTemplate, load_template
from microexp_tui.store.sessions import SessionStore

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
"""`progress(done, total, message)` after each step."""

STEPS = 6
OWNER_ONLY_FILE_MODE = 0o600
NOTICE = "Research tool, not a diagnostic device"

SECTION_BUILDERS: dict[str, Callable[[session_part.Context], list[Flowable]]] = {
    "cover": session_part.cover,
    "quality": session_part.quality,
    "stimuli": results_part.stimuli,
    "timeline": results_part.timeline,
    "confusion": results_part.confusion_section,
    "responses": trials_part.responses_section,
    "events": results_part.events,
    "validation": validation_part.validation_section,
    "models": models_part.models,
    "longitudinal": models_part.longitudinal,
    "caveats": models_part.caveats,
    "signoff": models_part.signoff,
}


@dataclass(frozen=True)
class ReportResult:
    """A written report: where, how big, how long it took, with which template and paper."""

    path: Path
    pages: int
    bytes: int
    sha256: str
    elapsed_s: float
    template: str
    paper: str
    session_id: int


def check_output(path: Path) -> Path:
    """The resolved target file; InputError (before any work) when it cannot be written there."""
    target = path.expanduser().resolve()
    if target.is_dir():
        raise InputError(
            f"{target} is a folder; give the report a file name, e.g. -o {target / 'report.pdf'}."
        )
    folder = target.parent
    if not folder.is_dir():
        raise InputError(
            f"Cannot write the report to {target}: the folder {folder} does not exist (or is not "
            "a folder). Create it first or choose another output path."
        )
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=folder)
    except OSError as err:
        raise InputError(
            f"Cannot write the report to {target}: {err.strerror or err} in {folder}. Choose a "
            "folder you can write to."
        ) from err
    os.close(handle)
    os.unlink(probe)
    return target


def story(data: ReportData, template: ReportTemplate, width_pt: float) -> list[Flowable]:
    """The flowables of every section the template asks for, in its order."""
    ctx = session_part.Context(data, template, width_pt)
    flowables: list[Flowable] = []
    for name in template.sections:
        flowables += SECTION_BUILDERS[name](ctx)
    if not template.sections or template.sections[0] != "cover":
        flowables = session_part.status_banners(ctx) + flowables
    return flowables


def page_frame(data: ReportData, template: ReportTemplate) -> PageFrame:
    """Header and footer texts of every page."""
    record = data.record
    flags = []
    if record.status != "completed":
        flags.append(record.status.upper())
    if record.simulated:
        flags.append("SIMULATED")
    return PageFrame(
        title=template.title,
        subtitle=f"{template.study} · {template.site}",
        participant_code=record.participant_code,
        session_id=record.id,
        flags=tuple(flags),
        generated=data.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
        version=f"microexp-tui {__version__}",
        notice=NOTICE,
    )


def _write_atomically(
    target: Path, write: Callable[[Path], int], audit: Callable[[Path, int], None]
) -> int:
    """Run `write(temp)` on a hidden temp file beside `target`, audit it, then rename it.

    The audit entry is written before the rename, so a report that can be seen was audited;
    a failure (a full disk, Ctrl-C, a kill) leaves no file behind but the hidden temp one.
    """
    _remove_stale_partials(target)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    temp = Path(name)
    lock = hold_while_writing(temp)
    try:
        pages = write(temp)
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        os.chmod(temp, OWNER_ONLY_FILE_MODE)
        audit(temp, pages)
        os.replace(temp, target)
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise InputError(
            f"Could not write the report to {target}: {_os_reason(err)}; nothing was written. "
            + ("Free some space and run it again." if err.errno == errno.ENOSPC else "")
        ) from err
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        os.close(lock)
    return pages


def _remove_stale_partials(target: Path) -> None:
    """Remove hidden partial reports of `target` that no running report holds (a killed
    report's), with a notice on the log."""
    for partial in target.parent.glob(f".{glob.escape(target.name)}.*.partial"):
        if not held_by_a_writer(partial):
            partial.unlink(missing_ok=True)
            logger.warning(
                "removed %s, left by a report that was stopped before it finished", partial
            )


def _os_reason(err: OSError) -> str:
    """What an operating-system error says, in words."""
    return "the disk is full" if err.errno == errno.ENOSPC else (err.strerror or str(err))


def generate_report(
    store: SessionStore,
    session_id: int,
    out_path: Path,
    template: str | Path | None = None,
    paper: str | None = None,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
    force_reason: str | None = None,
    rule: ResponseRule = DEFAULT_RULE,
) -> ReportResult:
    """Write the PDF report of `session_id` to `out_path` and audit-log it (stimuli scored by
    the per-stimulus `rule`).

    A broken audit chain refuses the report unless `force_reason` is given (audit-logged).
    """
    started = time.perf_counter()
    done = 0

    def step(message: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, STEPS, message)

    if paper is not None and paper not in PAPERS:
        raise InputError(f"Paper {paper!r} is unknown: use one of {', '.join(PAPERS)}.")
    target = check_output(out_path)
    chosen = load_template(template)
    store.require_intact_audit_log("report", force_reason)
    paper = paper or chosen.paper
    step(f"template {chosen.name} checked")
    width = frame_width_pt(paper)
    data = gather(
        store,
        session_id,
        plot_width(width),
        chosen.timeline_minutes_per_row,
        step,
        now=now,
        rule=rule,
        responses="responses" in chosen.sections,
    )
    flowables = story(data, chosen, width)
    step("report laid out")
    audited: dict[str, object] = {}

    def audit(temp: Path, pages: int) -> None:
        audited.update(sha256=file_sha256(temp), bytes=temp.stat().st_size)
        store.audit(
            "report",
            {
                "file": str(target),
                "pages": pages,
                **audited,
                "template": chosen.name,
                "paper": paper,
            },
            session_id,
        )

    pages = _write_atomically(
        target,
        lambda temp: build_pdf(
            temp,
            paper,
            page_frame(data, chosen),
            flowables,
            f"{chosen.title}: session {session_id}",
        ),
        audit,
    )
    digest, size = str(audited["sha256"]), int(str(audited["bytes"]))
    step("report written")
    return ReportResult(
        target, pages, size, digest, time.perf_counter() - started, chosen.name, paper, session_id
    )
