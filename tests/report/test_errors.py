"""Bad input: templates, output paths, session ids, and the command line's messages and codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image  # Pillow: a dependency of reportlab

from microexp_tui.cli import main
from microexp_tui.errors import ExitCode, InputError
from microexp_tui.files import hold_while_writing
from microexp_tui.report.generate import _write_atomically, generate_report
from microexp_tui.report.template import available_templates, load_template
from microexp_tui.store.sessions import SessionStore
from tests.report.conftest import make_report
from tests.report.helpers import ReportDb


def write(path: Path, text: str) -> Path:
    """Write a template file and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('paper = "A5"\n', "'paper'"),
        ('sections = ["cover", "horoscope"]\n', "'sections[2]'"),
        ('max_event_rows = "many"\n', "'max_event_rows'"),
        ("timeline_minutes_per_row = 0\n", "'timeline_minutes_per_row'"),
        ('colour = "blue"\n', "'colour'"),
        ('[wording]\nfarewell = "bye"\n', "'wording.farewell'"),
        ("[wording]\ncaveats = 3\n", "'wording.caveats'"),
        ('title = ""\n', "'title'"),
        ('logo = "missing.png"\n', "'logo'"),
    ],
)
def test_malformed_template_names_the_field_and_the_file(
    tmp_path: Path, body: str, field: str
) -> None:
    path = write(tmp_path / "site.toml", body)
    with pytest.raises(InputError) as caught:
        load_template(path)
    assert field in str(caught.value) and str(path) in str(caught.value)


def test_invalid_toml_and_unknown_names_are_explained(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.toml", 'title = "unterminated\n')
    with pytest.raises(InputError, match="not valid TOML") as caught:
        load_template(broken)
    assert str(broken) in str(caught.value)
    with pytest.raises(InputError, match=r"No report template named 'nope'.*default"):
        load_template("nope")
    with pytest.raises(InputError, match="does not exist"):
        load_template(tmp_path / "absent.toml")


def test_shipped_templates_load_and_a_logo_is_drawn(tmp_path: Path, report_db: ReportDb) -> None:
    assert available_templates()[0] == "default" and "brief" in available_templates()
    for name in available_templates():
        assert load_template(name).name == name
    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), (30, 90, 160)).save(logo)
    bad = write(tmp_path / "bad.png", "not an image")
    with pytest.raises(InputError, match="not a readable PNG or JPEG"):
        load_template(write(tmp_path / "badlogo.toml", f'logo = "{bad.name}"\n'))
    site = write(tmp_path / "site.toml", f'site = "Clinic Nord"\nlogo = "{logo.name}"\n')
    pdf = make_report(report_db.path, report_db.lone, tmp_path / "logo.pdf", template=site)
    assert "Clinic Nord" in pdf.pages[0]
    resources: Any = pdf.reader.pages[0]["/Resources"]
    assert resources["/XObject"], "the logo image is on the cover"


def test_unwritable_output_is_refused_before_any_work(report_db: ReportDb, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with SessionStore.open(report_db.path) as store:
        before = len(store.audit_entries())
        for out, reason in (
            (blocker / "report.pdf", "does not exist"),
            (tmp_path / "missing" / "report.pdf", "does not exist"),
            (tmp_path, "is a folder"),
        ):
            with pytest.raises(InputError, match=reason):
                generate_report(store, report_db.main, out)
        assert len(store.audit_entries()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_unknown_session_is_an_input_error_naming_the_database(
    report_db: ReportDb, tmp_path: Path
) -> None:
    with (
        SessionStore.open(report_db.path) as store,
        pytest.raises(InputError, match=r"Session 999 is not in .*sessions\.sqlite"),
    ):
        generate_report(store, 999, tmp_path / "r.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"

    def half_then_fail(temp: Path) -> int:
        temp.write_bytes(b"%PDF-1.4 half")
        raise OSError("disk full")

    def no_audit(temp: Path, pages: int) -> None:
        raise AssertionError("a failed write is never audited")

    with pytest.raises(InputError, match=r"disk full.*nothing was written"):
        _write_atomically(target, half_then_fail, no_audit)
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old report")
    with pytest.raises(InputError):
        _write_atomically(target, half_then_fail, no_audit)
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    assert target.read_bytes() == b"old report"


def test_a_killed_reports_hidden_partial_is_removed_and_a_running_ones_kept(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.pdf"
    stale = tmp_path / ".report.pdf.k1ll3d.partial"
    stale.write_bytes(b"%PDF-1.4 half, its writer was killed")
    running = tmp_path / ".report.pdf.w0rk1n.partial"
    running.write_bytes(b"%PDF-1.4 being written")
    other = tmp_path / ".other.pdf.k1ll3d.partial"
    other.write_bytes(b"another report's")
    audited: list[int] = []

    def one_page(temp: Path) -> int:
        temp.write_bytes(b"%PDF-1.4 whole")
        return 1

    lock = hold_while_writing(running)
    try:
        pages = _write_atomically(
            target,
            lambda temp: temp.write_bytes(b"%PDF-1.4 whole") and 1,
            lambda _, n: audited.append(n),
        )
    finally:
        os.close(lock)
    assert pages == 1 and audited == [1] and target.read_bytes() == b"%PDF-1.4 whole"
    assert not stale.exists(), "a partial nobody holds is a crash's leftover"
    assert running.exists(), "a partial another report is writing stays"
    assert other.exists(), "only this report's partials are touched"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `microexp` with `args`; return the exit code, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_a_report_and_prints_json(
    report_db: ReportDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.pdf"
    code, stdout, _ = run_cli(
        capsys, "report", str(report_db.lone), "--db", str(report_db.path), "-o", str(out)
    )
    assert code == 0 and f"written to {out}" in stdout and out.read_bytes().startswith(b"%PDF")
    assert out.stat().st_mode & 0o777 == 0o600, "owner-only, like the database"
    assert [p.name for p in tmp_path.iterdir()] == ["cli.pdf"], "no temporary file left"
    code, stdout, _ = run_cli(
        capsys,
        "report",
        str(report_db.lone),
        "--db",
        str(report_db.path),
        "-o",
        str(out),
        "--paper",
        "Letter",
        "--json",
    )
    summary = json.loads(stdout)
    assert code == 0 and summary["paper"] == "Letter" and summary["pages"] >= 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999"], "Session 999 is not in"),
        (["{lone}", "--template", "nope"], "No report template named 'nope'"),
        (["{lone}", "-o", "{blocker}/r.pdf"], "Cannot write the report to"),
        (["{lone}", "--db", "{missing}"], "No session database at"),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_7(
    report_db: ReportDb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    values = {"lone": report_db.lone, "blocker": blocker, "missing": tmp_path / "none.sqlite"}
    filled = [a.format(**values) for a in args]
    base = ["report", filled[0], "--db", str(report_db.path), "-o", str(tmp_path / "r.pdf")]
    code, _, err = run_cli(capsys, *base, *filled[1:])
    assert code == ExitCode.INPUT
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "r.pdf").exists()
