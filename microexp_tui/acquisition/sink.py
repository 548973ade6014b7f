"""Where a recording goes: the interface the recorder writes through, implemented by the store.

The recorder sits below the store in the layers, so it never imports it: it is handed any
object with these methods (`SessionStore` is the one the program uses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.recording import Batch
from microexp_tui.domain.sessions import Participant


class SessionSink(Protocol):
    """The writes a recording makes: participant, session row and rate, batches, expressions."""

    def participant_by_code(self, code: str) -> Participant | None:
        """The participant with this code, or None."""

    def create_participant(self, code: str | None = None) -> Participant:
        """A new participant (a generated code when none is given)."""

    def test_participant(self) -> Participant:
        """The one flagged test participant, created on first use."""

    def start_session(
        self,
        participant_id: int,
        *,
        sample_rate_hz: float,
        channels: Sequence[ChannelSpec],
        device: dict[str, Any],
        simulated: bool,
        protocol: str | None = None,
        operator: str | None = None,
    ) -> int:
        """Create the session row; returns its id."""

    def start_prediction_run(
        self,
        session_id: int,
        model_id: str,
        *,
        kind: str,
        classes: Sequence[str],
        hop_ms: float,
        window_samples: int,
        model_card: Mapping[str, Any],
        display: Mapping[str, Any] | None = None,
    ) -> None:
        """Register a live classification run so predictions in batches have a home."""

    def update_sample_rate(self, session_id: int, sample_rate_hz: float, reason: str) -> None:
        """Store a recording session's rate as measured so far (audit-logged with `reason`)."""

    def write_batch(self, session_id: int, batch: Batch) -> None:
        """Store one batch of samples, events and counters in one transaction."""

    def save_expressions(
        self,
        session_id: int,
        expressions: Sequence[Expression],
        source: str,
        detector: Mapping[str, Any] | None = None,
    ) -> None:
        """Store detected expressions (live ones are appended)."""

    def finish_session(self, session_id: int, status: str, actor: str = "system") -> None:
        """Mark the session finished with its final status."""
