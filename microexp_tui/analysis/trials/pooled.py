"""One participant's trials over several sessions: each session's rows, labelled, standardised
together (z and outliers over all of the participant's trials in the selection)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.rows import relabelled
from microexp_tui.analysis.trials.session import session_trials
from microexp_tui.analysis.trials.standardise import standardise
from microexp_tui.analysis.trials.table import TrialRow
from microexp_tui.store.sessions import SessionStore


def labelled_session_rows(
    store: SessionStore,
    session_ids: Iterable[int],
    options: TrialOptions,
    *,
    site: str,
    participant: str,
    session_labels: Mapping[int, str],
) -> list[TrialRow]:
    """The unstandardised rows of each session, with the labels a table shows."""
    rows: list[TrialRow] = []
    for session_id in session_ids:
        found = session_trials(store, session_id, options)
        label = session_labels.get(session_id, str(session_id))
        rows += relabelled(found.rows, site=site, participant=participant, session=label)
    return rows


def participant_trials(
    store: SessionStore,
    session_ids: Iterable[int],
    options: TrialOptions,
    *,
    site: str,
    participant: str,
    session_labels: Mapping[int, str],
) -> list[TrialRow]:
    """A participant's sessions' trial rows, relabelled and standardised together.

    Raises InputError (`session.NoTrialsError` for a session without trials) for a session
    that cannot be analysed; callers that skip such sessions pass only the others.
    """
    rows = labelled_session_rows(
        store,
        session_ids,
        options,
        site=site,
        participant=participant,
        session_labels=session_labels,
    )
    return standardise(rows, options.exclude_sd)
