"""Stimulus media open in the system viewer when one is installed, and say why when not."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from microexp_tui.study.media import open_media


def _install_viewer(bin_dir: Path, log: Path) -> None:
    """An `xdg-open` program on PATH that records what it was asked to open."""
    bin_dir.mkdir()
    script = bin_dir / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_media_relative_to_the_protocol_opens_in_the_viewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "opened.txt"
    _install_viewer(tmp_path / "bin", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "media").mkdir()
    image = tmp_path / "media" / "smile.png"
    image.write_bytes(b"\x89PNG\r\n")
    assert open_media("media/smile.png", tmp_path) == "opened smile.png"
    deadline = time.monotonic() + 10
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.read_text() == str(image)


def test_missing_media_and_missing_viewer_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert open_media("nope.png", tmp_path).startswith("media not found")
    (tmp_path / "a.png").write_bytes(b"x")
    empty_bin = tmp_path / "empty"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    assert open_media("a.png", tmp_path) == "no system viewer to open a.png"
