"""microexp-tui: a session manager for facial-EMG emotion and micro-expression studies."""

__version__ = "0.1.0"
