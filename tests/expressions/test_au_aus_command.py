"""`python -m microexp_tui microexpressions SESSION --aus FILE` end to end, as a user runs it.

A stored session of the micro_macro scenario is scored against the scenario's AU file made
multi-face (a bystander's face added as OpenFace FaceLandmarkVidMulti writes it) and against
the real py-feat and OpenFace files of ../shared/datasets/au-real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.simulator.au_csv import plan_au_events, write_openface_csv
from microexp_tui.store.sessions import SessionStore
from tests.expressions.test_detection import counts, scenario
from tests.expressions.test_microexpressions_command import stored_session

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m microexp_tui ARGV` in a child process with this checkout first."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "microexp_tui", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, Path]:
    """A database with the micro_macro session, and a two-face OpenFace file of its video."""
    folder = tmp_path_factory.mktemp("aus")
    database = folder / "sessions.sqlite"
    with SessionStore.open(database) as store:
        session_id = stored_session(store, counts("micro_macro"))
    plan = plan_au_events(
        scenario("micro_macro").expressions,
        SEED_MONTAGE,
        duration_s=31.0,
        miss_probability=0.0,
        extras_per_min=0.0,
    )
    single = folder / "single.csv"
    write_openface_csv(plan, single)
    return database, session_id, add_bystander(single, folder / "multi.csv")


def add_bystander(single: Path, out: Path) -> Path:
    """The file with a second face (face_id 1) before the participant's on each frame where
    it is seen (every other frame), with AUs at random, as FaceLandmarkVidMulti writes it."""
    rng = np.random.default_rng(3)
    lines = single.read_text(encoding="utf-8").splitlines()
    header = [name.strip() for name in lines[0].split(",")]
    face_at = header.index("face_id")
    au_columns = [i for i, name in enumerate(header) if name.startswith("AU")]
    rows = [lines[0]]
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split(",")]
        if int(cells[0]) % 2:
            other = list(cells)
            other[face_at] = "1"
            for i in au_columns:
                present = rng.random() < 0.3
                other[i] = str(int(present)) if header[i].endswith("_c") else f"{3 * present}"
            rows.append(", ".join(other))
        cells[face_at] = "0"
        rows.append(", ".join(cells))
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def test_multi_face_file_uses_the_most_tracked_face_and_says_which(
    session: tuple[Path, int, Path],
) -> None:
    database, session_id, multi = session
    base = ["microexpressions", str(session_id), "--db", str(database), "--aus", str(multi)]
    done = cli(*base, "--offset-s", "0")
    assert done.returncode == 0, done.stderr
    assert "OpenFace layout, face 0 of 2 (tracked in most frames" in done.stdout
    participant = cli(*base, "--offset-s", "0", "--json")
    found = json.loads(participant.stdout)
    assert found["au_file"]["face_id"] == 0 and found["au_file"]["faces"] == 2
    assert found["validation"]["overall"]["recall"] >= 0.9
    bystander = json.loads(cli(*base, "--offset-s", "0", "--json", "--face-id", "1").stdout)
    assert bystander["au_file"]["face_id"] == 1
    assert bystander["au_file"]["face_chosen_by"] == "--face-id"
    assert bystander["validation"]["overall"]["f1"] < found["validation"]["overall"]["f1"]
    missing = cli(*base, "--offset-s", "0", "--face-id", "5")
    assert missing.returncode == 7 and "no such face" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_real_pyfeat_files_through_the_command(
    session: tuple[Path, int, Path], datasets_dir: Path
) -> None:
    database, session_id, _ = session
    base = ["microexpressions", str(session_id), "--db", str(database), "--offset-s", "0"]
    frames = datasets_dir / "au-real" / "pyfeat_tests_001.csv"
    refused = cli(*base, "--aus", str(frames))
    assert refused.returncode == 7 and "--au-fps FPS" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = cli(*base, "--aus", str(frames), "--au-fps", "30", "--json")
    assert done.returncode == 0, done.stderr
    au_file = json.loads(done.stdout)["au_file"]
    assert au_file["layout"] == "py-feat" and au_file["frames"] == 40
    approx = cli(*base, "--aus", str(datasets_dir / "au-real" / "pyfeat_news_sample_016.csv"))
    assert approx.returncode == 0, approx.stderr
    assert "warning:" in approx.stderr and "one-second resolution" in approx.stderr
    assert "times from `approx_time`" in approx.stdout
    still = cli(*base, "--aus", str(datasets_dir / "au-real" / "pyfeat_tests_Feat_Test.csv"))
    assert still.returncode == 7 and "no time axis" in still.stderr
    face = cli(*base, "--aus", str(frames), "--au-fps", "30", "--face-id", "0")
    assert face.returncode == 7 and "py-feat's layout" in face.stderr


def test_au_reading_options_need_an_au_file(session: tuple[Path, int, Path]) -> None:
    database, session_id, _ = session
    done = cli("microexpressions", str(session_id), "--db", str(database), "--au-fps", "30")
    assert done.returncode == 7 and "add --aus FILE" in done.stderr
