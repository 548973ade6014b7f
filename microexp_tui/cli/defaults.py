"""Defaults of left-out options, taken from the operator settings the operator app also reads."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microexp_tui.inference.catalog import LiveModelChoice
    from microexp_tui.settings import Settings


class OperatorDefaults:
    """One command run's defaults: the settings are read on the first default needed, once."""

    @cached_property
    def settings(self) -> Settings:
        """The operator settings (file, then environment); InputError when they do not load."""
        from microexp_tui.settings import load_settings

        return load_settings()

    def database_path(self, explicit: Path | None) -> Path:
        """`--db` when given, else sessions.sqlite in the settings' data folder (created 0700)."""
        if explicit is not None:
            return explicit
        from microexp_tui.errors import InputError
        from microexp_tui.paths import DATA_DIR_ENV, database_path_in

        try:
            folder = self.settings.database_dir()
        except RuntimeError as err:  # Path.expanduser: `~user` names no user here
            raise InputError(
                f"The data folder setting starts with a ~ that names no user of this computer "
                f"({err}). Set `data_dir` in the settings or ${DATA_DIR_ENV} to a full path, "
                "or pass --db PATH."
            ) from err
        try:
            return database_path_in(folder)
        except OSError as err:
            raise InputError(
                f"The data folder {folder} cannot hold the session database: "
                f"{err.strerror or err}. It comes from the `data_dir` setting, else "
                f"${DATA_DIR_ENV}, else the user data folder: point it at a folder you can "
                "read and write, or pass --db PATH."
            ) from err

    def mains_hz(self, explicit: float | None) -> float:
        """`--mains-hz` when given, else the settings' mains frequency."""
        return explicit if explicit is not None else self.settings.filters.mains_hz

    def live_model(self, explicit: Path | None, off: bool = False) -> LiveModelChoice:
        """None with `--no-model`, else `--model` when given, else the settings' live model
        (none when it is `none`; soft when it is the built-in default)."""
        from microexp_tui.inference.catalog import choose_live_model

        if off or explicit is not None:
            return choose_live_model("", explicit, off)
        return choose_live_model(self.settings.model)

    def protocol_seed(self, explicit: int | None) -> int | None:
        """`--seed` when given, else the settings' protocol seed (None: a new one per session)."""
        return explicit if explicit is not None else self.settings.protocol_seed
