"""Progress on stderr: one line per fold, updated per epoch on a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class Progress:
    """Reports stages (folds, the final model) and their epochs to a text stream."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        """Write to `stream` (stderr by default); a terminal gets in-place updates."""
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self._label = ""
        self._started = time.monotonic()

    def stage(self, label: str) -> None:
        """Start a stage such as `fold 3/15 (subject_03)`."""
        self._label = label
        self._started = time.monotonic()

    def epoch(self, epoch: int, epochs: int, logs: dict[str, Any]) -> None:
        """Report an epoch: updated in place on a terminal, silent otherwise."""
        if not self.live:
            return
        self.stream.write(f"\r{self._line(epoch, epochs, logs)}\x1b[K")
        self.stream.flush()

    def done(self, epochs: int, logs: dict[str, Any], extra: str = "") -> None:
        """Finish the stage's line."""
        if not self.enabled:
            return
        prefix = "\r" if self.live else ""
        self.stream.write(f"{prefix}{self._line(epochs, epochs, logs)}{extra}\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A free-form line."""
        if self.enabled:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _line(self, epoch: int, epochs: int, logs: dict[str, Any]) -> str:
        """`label  epoch e/n  loss x  acc y  (t s)`."""
        loss, acc = logs.get("loss", float("nan")), logs.get("accuracy", float("nan"))
        elapsed = time.monotonic() - self._started
        return (
            f"{self._label}  epoch {epoch}/{epochs}  loss {loss:.4f}  train acc {acc:.4f}  "
            f"({elapsed:.1f} s)"
        )
