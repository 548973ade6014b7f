"""One participant's visit: what the screens decided so far, handed from one to the next."""

from __future__ import annotations

from dataclasses import dataclass, field

from microexp_tui.device.protocol import Identity
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.sessions import Participant
from microexp_tui.session_flow.board import ConnectedBoard
from microexp_tui.session_flow.live import LiveSession
from microexp_tui.session_flow.reuse import ReusableSetup
from microexp_tui.study.consent import ConsentText
from microexp_tui.study.protocols import Protocol


@dataclass
class Visit:
    """Participant, consent, board, montage, protocol and the live session of one visit."""

    participant: Participant | None = None
    consent: ConsentText | None = None
    consent_confirmed_at: str | None = None
    board: ConnectedBoard | None = None
    identity: Identity | None = None
    montage_preset: str = ""
    montage: list[ChannelSpec] = field(default_factory=list)
    protocol: Protocol | None = None
    live: LiveSession | None = None
    resumed_from: int | None = None
    protocol_hint: str | None = None
    """Protocol to preselect (a resumed session's)."""
    start_block: int = 0
    checks: list[ElectrodeCheck] = field(default_factory=list)
    calibration: Calibration | None = None
    """The participant's calibration from the Calibration screen (None: skipped)."""
    reuse: ReusableSetup | None = None
    """A resume's setup steps taken over from the interrupted session (recent enough)."""

    @property
    def session_id(self) -> int | None:
        """The live session's id, once recording started."""
        return self.live.session_id if self.live is not None else None
