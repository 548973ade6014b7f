"""What an export will contain: pseudonymous subjects and sessions, decided before any write.

Nothing identifying is carried into a plan except the participant code and session id,
which stay inside the program (they are needed to read the store) and are never written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.sessions import Participant, SessionRecord, mains_hz_of
from microexp_tui.errors import InputError
from microexp_tui.export.demographics import age_band, bids_handedness, bids_sex
from microexp_tui.export.pseudonym import SiteSecret
from microexp_tui.export.task_labels import task_labels
from microexp_tui.expressions.stimulus_response import DEFAULT_RULE, ResponseRule
from microexp_tui.store.sessions import SessionStore

EDF_LABEL_CHARS = 16
SIMULATED_ACQ = "simulated"
"""The `acq-` entity of every file made from a simulated session."""


@dataclass(frozen=True)
class SubjectPlan:
    """An exported participant: keyed label, coarse demographics, date shift."""

    participant_id: int
    code: str
    """Internal only (never written): the HMAC input."""
    label: str
    age_band: str
    sex: str
    handedness: str

    @property
    def quasi_identifiers(self) -> tuple[str, str, str]:
        """(age band, sex, handedness) for the k-anonymity report."""
        return (self.age_band, self.sex, self.handedness)


@dataclass(frozen=True)
class SessionPlan:
    """An exported session: its record, labels, shifted time and channel names."""

    record: SessionRecord
    subject: SubjectPlan
    session_label: str
    task_label: str
    acq_time: str
    """Start time shifted by the participant's keyed number of days (BIDS datetime)."""
    power_line_hz: float | None
    channel_names: tuple[str, ...]
    response_rule: ResponseRule = DEFAULT_RULE
    """The per-stimulus rule's response window, as Review and the report apply it."""

    @property
    def simulated(self) -> bool:
        """Whether the session came from the simulated board."""
        return bool(self.record.simulated)

    @property
    def stem(self) -> str:
        """BIDS file name stem, with `acq-simulated` for simulated sessions."""
        acq = f"_acq-{SIMULATED_ACQ}" if self.simulated else ""
        return f"sub-{self.subject.label}_ses-{self.session_label}_task-{self.task_label}{acq}"

    @property
    def name(self) -> str:
        """Short name of the session in tables: sub-<label>_ses-<label>."""
        return f"sub-{self.subject.label}_ses-{self.session_label}"

    @property
    def emg_dir(self) -> PurePath:
        """Folder of the session's EMG files inside a BIDS dataset."""
        return PurePath(f"sub-{self.subject.label}", f"ses-{self.session_label}", "emg")

    @property
    def rate_hz(self) -> float:
        """Sample rate in Hz (may be fractional)."""
        return self.record.sample_rate_hz


INCLUDE_TESTS_OPTION = "--include-test-participants"
"""The export option (and the dialog's switch) that keeps test participants' sessions in."""


def channel_names(channels: Sequence[ChannelSpec]) -> tuple[str, ...]:
    """Unique printable-ASCII channel names of at most 16 characters (the EDF limit)."""
    names: list[str] = []
    for spec in channels:
        name = re.sub(r"[^\x21-\x7e]", "_", spec.label.strip())[:EDF_LABEL_CHARS]
        name = name or f"EMG{spec.index + 1}"
        if name in names:
            suffix = f"_{spec.index + 1}"
            name = name[: EDF_LABEL_CHARS - len(suffix)] + suffix
        names.append(name)
    return tuple(names)


def parse_time(text: str) -> datetime:
    """A store timestamp (ISO 8601, UTC) as a datetime."""
    return datetime.fromisoformat(text)


def subject_plan(secret: SiteSecret, participant: Participant, first_year: int) -> SubjectPlan:
    """The exported form of a participant (age band at the year of their first session)."""
    return SubjectPlan(
        participant_id=participant.id,
        code=participant.code,
        label=secret.subject_label(participant.code),
        age_band=age_band(participant.birth_year, first_year),
        sex=bids_sex(participant.sex),
        handedness=bids_handedness(participant.handedness),
    )


def select_sessions(
    records: Sequence[SessionRecord],
    session_ids: Sequence[int] | None,
    include_test_participants: bool = False,
) -> tuple[list[SessionRecord], list[str]]:
    """The sessions to export and warnings for those skipped (still recording, or empty) or
    left out (test participants' sessions, unless `include_test_participants`).

    Explicitly requested sessions that cannot be exported are an InputError instead.
    """
    by_id = {record.id: record for record in records}
    if session_ids is not None:
        missing = [sid for sid in session_ids if sid not in by_id]
        if missing:
            raise InputError(
                f"Session(s) {', '.join(map(str, missing))} do not exist in this database; "
                "list them with `microexp sessions --db PATH`."
            )
        chosen = [by_id[sid] for sid in dict.fromkeys(session_ids)]
        for record in chosen:
            if problem := _unexportable(record, include_test_participants):
                raise InputError(f"Session {record.id} cannot be exported: {problem}.")
        return chosen, []
    chosen, warnings, tests = [], [], []
    for record in records:
        if record.test_participant and not include_test_participants:
            tests.append(record)
        elif problem := _unexportable(record, include_test_participants):
            warnings.append(f"session {record.id} skipped: {problem}")
        else:
            chosen.append(record)
    if tests:
        warnings.append(_left_out_tests(tests))
    if not chosen and tests:
        raise InputError(
            f"The only finished sessions of this database are those of test participant "
            f"{_test_codes(tests)}, which exports leave out; add {INCLUDE_TESTS_OPTION} "
            "to export them."
        )
    if not chosen:
        raise InputError("No session of this database can be exported (none is finished).")
    return chosen, warnings


def _test_codes(records: Sequence[SessionRecord]) -> str:
    """The participant codes of these sessions, once each ("TEST" or "TEST, TEST-2")."""
    return ", ".join(sorted({record.participant_code for record in records}))


def _left_out_tests(records: Sequence[SessionRecord]) -> str:
    """The warning that names the test participants' sessions left out of an export."""
    ids = ", ".join(str(record.id) for record in records)
    return (
        f"left out {len(records)} session(s) of test participant {_test_codes(records)} "
        f"(sessions {ids}): "
        f"add {INCLUDE_TESTS_OPTION} to export them"
    )


def _unexportable(record: SessionRecord, include_test_participants: bool = False) -> str | None:
    """Why a session cannot be exported, or None."""
    if record.status == "recording":
        return "it is still recording (or its recorder crashed and was not recovered yet)"
    if record.samples_per_channel <= 0:
        return "it holds no samples"
    if record.test_participant and not include_test_participants:
        return (
            f"its participant {record.participant_code} is a test participant; add "
            f"{INCLUDE_TESTS_OPTION} to export it"
        )
    return None


def build_plans(
    store: SessionStore,
    secret: SiteSecret,
    chosen: Sequence[SessionRecord],
    default_power_line_hz: float | None,
    response_rule: ResponseRule = DEFAULT_RULE,
) -> list[SessionPlan]:
    """Plan every chosen session: labels, ordinals, shifted times, mains frequency."""
    everything = store.list_sessions()
    ordinals = _session_ordinals(everything)
    first_year = _first_years(everything)
    tasks = task_labels(everything)
    subjects: dict[int, SubjectPlan] = {}
    plans = []
    for record in chosen:
        pid = record.participant_id
        if pid not in subjects:
            participant = store.participant(pid)
            if participant is None:
                raise InputError(f"Session {record.id} names participant {pid}, who is missing.")
            subjects[pid] = subject_plan(secret, participant, first_year[pid])
        subject = subjects[pid]
        shifted = secret.shift(subject.code, parse_time(record.started_at))
        plans.append(
            SessionPlan(
                record=record,
                subject=subject,
                session_label=ordinals[record.id],
                task_label=tasks[record.id],
                acq_time=shifted.strftime("%Y-%m-%dT%H:%M:%S"),
                power_line_hz=mains_hz_of(store.settings_snapshot(record.id))
                or default_power_line_hz,
                channel_names=channel_names(record.channels),
                response_rule=response_rule,
            )
        )
    _check_unique_labels(subjects.values())
    return sorted(plans, key=lambda plan: (plan.subject.label, plan.session_label))


def _session_ordinals(records: Sequence[SessionRecord]) -> dict[int, str]:
    """Session label per session id: its 1-based rank among its participant's sessions."""
    counts: dict[int, int] = {}
    ordinals: dict[int, int] = {}
    for record in sorted(records, key=lambda r: r.id):
        counts[record.participant_id] = counts.get(record.participant_id, 0) + 1
        ordinals[record.id] = counts[record.participant_id]
    width = max(2, len(str(max(counts.values(), default=1))))
    return {sid: str(n).zfill(width) for sid, n in ordinals.items()}


def _first_years(records: Sequence[SessionRecord]) -> dict[int, int]:
    """Year of each participant's first session (the age band's reference year)."""
    years: dict[int, int] = {}
    for record in records:
        year = parse_time(record.started_at).year
        years[record.participant_id] = min(year, years.get(record.participant_id, year))
    return years


def _check_unique_labels(subjects: Iterable[SubjectPlan]) -> None:
    """Refuse the (astronomically unlikely) case of two participants with one label."""
    labels = [subject.label for subject in subjects]
    if len(labels) != len(set(labels)):
        raise InputError(
            "Two participants received the same pseudonymous label; export them separately "
            "or use another site secret."
        )
