"""Sessions a trial table cannot be made of are refused with a message a person can act on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.pooled import participant_trials
from microexp_tui.analysis.trials.session import session_trials
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.markers import stimulus_onset_code
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.errors import InputError
from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session


def test_a_session_still_recording_is_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        live = write_session(store, 2, simulated=True, status="recording")
        with pytest.raises(InputError, match="still recording"):
            session_trials(store, live, TrialOptions())


def test_raw_board_channels_too_slow_for_an_envelope_are_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        person = store.create_participant()
        session = store.start_session(
            person.id,
            sample_rate_hz=250,
            channels=[ChannelSpec(0, "EMG1", "Corrugator supercilii", "raw", ())],
            device={},
            simulated=True,
        )
        marker = MarkerRecord(100, stimulus_onset_code("anger"), "protocol")
        chunk = np.full((1000, 1), 512, np.int16)
        store.write_batch(session, Batch(chunks=[(0, chunk)], markers=[marker]))
        store.finish_session(session, "completed")
        with pytest.raises(InputError, match="Record raw sensors at 1000 Hz or more"):
            participant_trials(
                store, [session], TrialOptions(), site="", participant="p", session_labels={}
            )
