"""microexp-tui: a session manager for facial-EMG emotion and micro-expression studies."""

from __future__ import annotations

from functools import cache


@cache
def installed_version() -> str:
    """The installed distribution's version (written only in pyproject.toml), read once.

    importlib.metadata costs a command's start-up tens of milliseconds, so it is imported
    when the version is first needed (`microexp --version`, reports, exports).
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("microexp-tui")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    """`microexp_tui.__version__`, looked up on first use."""
    if name == "__version__":
        return installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
