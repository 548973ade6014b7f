"""Opening a stimulus's image or video in the system viewer, when there is one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

VIEWERS = ("xdg-open", "open")


def viewer_command() -> str | None:
    """The system's 'open with the default application' command, if installed."""
    if sys.platform == "win32":
        return None
    return next((name for name in VIEWERS if shutil.which(name)), None)


def open_media(media: str, protocol_dir: Path | None) -> str:
    """Start the viewer on a media path (relative to the protocol file); returns what happened."""
    path = Path(media).expanduser()
    if not path.is_absolute() and protocol_dir is not None:
        path = protocol_dir / path
    if not path.exists():
        return f"media not found: {path}"
    command = viewer_command()
    if command is None:
        return f"no system viewer to open {path.name}"
    subprocess.Popen(
        [command, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return f"opened {path.name}"
