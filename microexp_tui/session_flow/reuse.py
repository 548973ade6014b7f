"""Resuming within a visit: which setup steps of the interrupted session are recent enough to
reuse (consent, electrode check, calibration), how old they are, and copying them over.

A step is reused when it is at most `checks.reuse_max_age_min` old: the consent when the text
is unchanged, the electrode check when no channel was red, the calibration when the montage
has as many channels. A reused check or calibration is stored with the new session at the
time it was made, so its age stays true across several resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.errors import MicroexpError
from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class ReusedStep:
    """One setup step taken over from the interrupted session: what it is and when it was made."""

    what: str
    made_at: str

    def age_min(self, now: datetime | None = None) -> float:
        """Minutes since the step was made."""
        made = datetime.fromisoformat(self.made_at)
        return max(0.0, ((now or datetime.now(UTC)) - made).total_seconds() / 60)

    def describe(self, now: datetime | None = None) -> str:
        """ "electrode check from 12 min ago reused"."""
        return f"{self.what} from {self.age_min(now):.0f} min ago reused"


@dataclass
class ReusableSetup:
    """What a resumed session takes over from the session it resumes."""

    from_session_id: int
    consent: ReusedStep | None = None
    checks: list[ElectrodeCheck] = field(default_factory=list)
    checks_step: ReusedStep | None = None
    calibration: Calibration | None = None
    calibration_step: ReusedStep | None = None

    def steps(self) -> list[ReusedStep]:
        """The steps reused, in flow order."""
        found = [self.consent, self.checks_step, self.calibration_step]
        return [step for step in found if step is not None]


def is_recent(made_at: str | None, max_age_min: float, now: datetime) -> bool:
    """Whether a step made at `made_at` is at most `max_age_min` old."""
    if made_at is None or max_age_min <= 0:
        return False
    return ReusedStep("", made_at).age_min(now) <= max_age_min


def reusable_setup(
    store: SessionStore,
    session_id: int,
    consent_sha256: str | None,
    channel_count: int,
    max_age_min: float,
    now: datetime | None = None,
) -> ReusableSetup:
    """The recent setup steps of session `session_id` a resume can take over."""
    now = now or datetime.now(UTC)
    reuse = ReusableSetup(session_id)
    setup = store.setup(session_id)
    confirmed_at = setup.consent_confirmed_at if setup is not None else None
    same_text = setup is not None and setup.consent_sha256 == consent_sha256
    if same_text and confirmed_at and is_recent(confirmed_at, max_age_min, now):
        reuse.consent = ReusedStep("consent", confirmed_at)
    checked_at, computed_at = store.setup_times(session_id)
    checks = store.electrode_checks(session_id)
    usable = checks and len(checks) == channel_count and all(c.grade != "red" for c in checks)
    if usable and checked_at and is_recent(checked_at, max_age_min, now):
        reuse.checks, reuse.checks_step = checks, ReusedStep("electrode check", checked_at)
    rows = store.calibration(session_id)
    if len(rows) == channel_count and computed_at and is_recent(computed_at, max_age_min, now):
        try:
            reuse.calibration = Calibration(tuple(rows))
        except MicroexpError:
            return reuse
        reuse.calibration_step = ReusedStep("calibration", computed_at)
    return reuse


def store_reused(store: SessionStore, session_id: int, reuse: ReusableSetup, actor: str) -> None:
    """Copy the reused check and calibration to the new session (keeping when they were made)
    and say in its audit log what was reused from which session, and how old it was."""
    if reuse.checks and reuse.checks_step is not None:
        store.save_electrode_checks(session_id, reuse.checks, actor, reuse.checks_step.made_at)
    if reuse.calibration is not None and reuse.calibration_step is not None:
        channels = reuse.calibration.channels
        store.save_calibration(session_id, channels, actor, reuse.calibration_step.made_at)
    if reuse.steps():
        detail = {
            "from_session": reuse.from_session_id,
            **{step.what: round(step.age_min(), 1) for step in reuse.steps()},
        }
        store.audit("setup.reused", detail, session_id, actor)
