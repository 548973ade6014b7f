"""Write one session's PDF report from a database file (the command line's way in).

The operator app passes its open store to `generate_report` itself; this checks what a
command line can get wrong first (output path, template, a database that is not there) so
nothing is created on a mistake.
"""

from __future__ import annotations

from pathlib import Path

from microexp_tui.errors import InputError
from microexp_tui.expressions.stimulus_response import DEFAULT_RULE, ResponseRule
from microexp_tui.report.generate import (
    ProgressCallback,
    ReportResult,
    check_output,
    generate_report,
)
from microexp_tui.report.template import load_template
from microexp_tui.store.sessions import SessionStore


def write_session_report(
    database: Path,
    session_id: int,
    out_path: Path,
    template: str | None = None,
    paper: str | None = None,
    progress: ProgressCallback | None = None,
    force_reason: str | None = None,
    rule: ResponseRule = DEFAULT_RULE,
) -> ReportResult:
    """Check the request, then write the report of `session_id` to `out_path`."""
    check_output(out_path)
    load_template(template)
    if not database.is_file():
        raise InputError(f"No session database at {database}; pass --db with its path.")
    with SessionStore.open(database) as store:
        return generate_report(
            store,
            session_id,
            out_path,
            template,
            paper,
            progress,
            force_reason=force_reason,
            rule=rule,
        )
