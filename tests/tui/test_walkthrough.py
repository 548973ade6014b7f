"""A whole session at the keyboard in a real 80x24 terminal (tmux): participant, electrode check,
calibration, a short protocol, review, PDF report and export, reading the screen at each step."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tui.helpers import WAIT_LIMIT_S

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (apt-get install tmux); the walkthrough drives the app in it",
    ),
]

REPO = Path(__file__).resolve().parents[2]
COLUMNS, ROWS = 80, 24
POLL_S = 0.2


@dataclass
class Terminal:
    """One tmux session of its own server (a private socket), 80x24, running the app."""

    socket: Path
    name: str = "walk"

    def tmux(self, *args: str) -> str:
        """Run a tmux command on this server and return its output."""
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def screen(self) -> str:
        """The text on the terminal now."""
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        """Press keys (tmux names: Enter, Space, Escape, C-s)."""
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)

    def type(self, text: str) -> None:
        """Type literal text."""
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, pattern: str, what: str) -> str:
        """Poll the screen until `pattern` (a regex) shows; fail on a traceback or a hang."""
        waited_s = 0.0
        while True:
            text = self.screen()
            assert "Traceback" not in text, f"a traceback while waiting for {what}:\n{text}"
            if re.search(pattern, text):
                return text
            if waited_s > WAIT_LIMIT_S:
                raise AssertionError(f"the screen never showed {what}:\n{text}")
            time.sleep(POLL_S)
            waited_s += POLL_S


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """The app in an 80x24 tmux window on a temporary data folder; the server is ours alone."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    term = Terminal(tmp_path / "tmux.sock")
    env = {
        "PYTHONPATH": str(REPO),
        "MICROEXP_DATA_DIR": str(data_dir),
        "MICROEXP_CONFIG_FILE": str(data_dir / "settings.toml"),
        "TERM": "xterm-256color",
    }
    assignments = [f"{key}={value}" for key, value in env.items()]
    app = [sys.executable, "-m", "tests.tui.walkthrough_app", str(data_dir)]
    run_app = shlex.join(["env", *assignments, *app])
    status_file = shlex.quote(str(tmp_path / "exit_status"))
    command = f"{run_app}; echo $? > {status_file}"
    term.tmux(
        "-f",
        os.devnull,
        "new-session",
        "-d",
        "-s",
        term.name,
        "-x",
        str(COLUMNS),
        "-y",
        str(ROWS),
        "-c",
        str(REPO),
        command,
    )
    term.tmux("set-option", "-t", term.name, "remain-on-exit", "on")
    try:
        yield term
    finally:
        subprocess.run(["tmux", "-S", str(term.socket), "kill-server"], check=False)


def test_a_whole_session_at_80x24(terminal: Terminal, tmp_path: Path) -> None:
    term = terminal
    term.wait_for(r"0 sessions · 0 participants", "Home on an empty database")
    term.wait_for(r"\nn New participant p New session .* \^q Quit f1 Help", "Home's keys")

    # Participant and consent: the birth year has the focus; consent is required.
    term.keys("n")
    term.wait_for(r"Participant and consent", "the participant form")
    term.type("1990")
    term.keys("C-s")
    term.wait_for(r"Consent must b", "the consent error (a toast may cover its end)")
    term.keys("Space", "C-s")  # continuing focused the consent box

    # The simulated board connects by itself.
    term.wait_for(r"(?s)Board and montage.*SIMULATED BOARD", "the device screen")
    term.wait_for(r"4 channels at 500 Hz", "the simulated board's identity")
    term.keys("C-s")

    # Electrode check (a redo is allowed once while the simulated participant may move).
    term.wait_for(r"Electrode check", "the electrode check")
    for attempt in range(2):
        term.keys("Space")
        term.wait_for(r"\A(?![\s\S]*DONE)", "the check to start")
        screen = term.wait_for(r"(?s)DONE.*\b(OK|WARN|FAIL)\b", "the graded electrodes")
        if "REDO" not in screen:
            break
        assert attempt == 0, f"the electrode check failed twice:\n{screen}"
    term.keys("C-s")

    # Calibration.
    term.wait_for(r"Calibration —", "calibration")
    term.keys("Space")
    term.wait_for(r"DONE", "the saved calibration")
    term.keys("C-s")

    # The short protocol runs to its end; review follows.
    term.wait_for(r"Recording —", "the recording screen")
    term.keys("Space")
    term.wait_for(r"Review — session 1", "the review")
    term.wait_for(r"(?s)COMPLETED.*Stimuli.*x Export", "the completed session's review")

    # PDF report: Enter in the file box writes it; its summary's button is on screen.
    term.keys("p")
    term.wait_for(r"PDF report of session 1", "the report dialog")
    term.wait_for(r"Write report \[enter\]", "the report dialog's buttons")
    term.keys("Enter")
    term.wait_for(r"(?s)PDF report written.*OK \[enter\]", "the report summary and its button")
    term.keys("Enter")

    # Export: Enter on the format list exports; the summary's button is on screen at 80x24.
    term.keys("x")
    term.wait_for(r"Anonymised export of session 1", "the export dialog")
    term.wait_for(r"Export \[enter\]", "the export dialog's buttons")
    term.keys("Enter")
    term.wait_for(r"(?s)Export written.*OK \[enter\]", "the export summary and its button")
    term.keys("Enter")
    term.wait_for(r"x Export", "the review again")

    data_dir = tmp_path / "data"
    assert (data_dir / "reports" / "session-1.pdf").stat().st_size > 0
    assert (data_dir / "exports" / "session-1-bids" / "dataset_description.json").exists()

    # Quit: the app ends cleanly, without a traceback.
    term.keys("C-q")
    status = tmp_path / "exit_status"
    waited_s = 0.0
    while not status.exists() or not status.read_text():
        assert waited_s < WAIT_LIMIT_S, f"the app never exited:\n{term.screen()}"
        time.sleep(POLL_S)
        waited_s += POLL_S
    assert status.read_text().strip() == "0"
