"""microexp-tui: a session manager for facial-EMG emotion and micro-expression studies."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("microexp-tui")
    """The installed distribution's version (written only in pyproject.toml)."""
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
