"""The operator app as the tmux walkthrough starts it: a temporary database and data folder, the
fast check and protocol settings, and the simulated board with the calm test participant.

Run as `python -m tests.tui.walkthrough_app DATA_DIR` from the repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

from microexp_tui.tui.app import make_app
from tests.tui.helpers import fast_settings, sim_args


def main(argv: list[str]) -> int:
    """Run the app on `argv[0]`/sessions.sqlite until the operator quits."""
    data_dir = Path(argv[0])
    settings = fast_settings().model_copy(update={"data_dir": str(data_dir)})
    app = make_app(
        data_dir / "sessions.sqlite",
        settings=settings,
        settings_path=data_dir / "settings.toml",
        simulate=True,
        sim_args=sim_args(),
    )
    try:
        app.run()
    finally:
        app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
