"""Session databases for export tests, built with real SessionStore calls and planted PII."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.expressions import Activation
from microexp_tui.domain.markers import (
    MARKER_OPERATOR_BASE,
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch, GapRecord, MarkerRecord, StoredSamples
from microexp_tui.domain.sessions import SessionSetup, settings_json
from microexp_tui.expressions.grouping import group_activations
from microexp_tui.store.sessions import SessionStore

RATE_HZ = 250
CHANNELS = 8


@dataclass(frozen=True)
class Person:
    """A participant with identifying data that must never leave the database."""

    code: str
    name: str
    contact: str
    notes: str
    birth_year: int
    sex: str
    handedness: str


PEOPLE = (
    Person(
        "P-7K3Q9X",
        "Zoë Quillfeather",
        "zoe.quillfeather@example.org, +44 7700 900123",
        "Sister of the lab manager; prefers afternoon slots",
        1991,
        "female",
        "right",
    ),
    Person(
        "P-M4RV2T",
        "Bartholomew Ironwood",
        "+1 (555) 014-2297",
        "Allergic to electrode gel brand X",
        1978,
        "male",
        "left",
    ),
)
OPERATOR = "Dr Henrietta Vasquez-Lund"


@dataclass
class BuiltDb:
    """What a test database holds, for assertions."""

    path: Path
    session_ids: list[int] = field(default_factory=list)
    simulated_ids: list[int] = field(default_factory=list)
    samples: dict[int, StoredSamples] = field(default_factory=dict)
    """Samples as read back from the store (lost ones masked), by session id."""


def montage(kinds: tuple[str, ...] | None = None) -> list[ChannelSpec]:
    """The seed montage on 8 channels."""
    kinds = kinds or ("envelope",) * CHANNELS
    return [
        ChannelSpec(i, f"EMG{i + 1}", m.name, kinds[i], m.action_units)
        for i, m in enumerate(SEED_MONTAGE[:CHANNELS])
    ]


def signal(n_samples: int, seed: int, kinds: tuple[str, ...]) -> np.ndarray:
    """(samples, channels) ADC counts: envelope bursts or raw noise, always 0..1023."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / RATE_HZ
    out = np.empty((n_samples, len(kinds)), np.int16)
    for c, kind in enumerate(kinds):
        if kind == "raw":
            wave = 512 + 200 * np.sin(2 * np.pi * 60 * t + c) + rng.normal(0, 40, n_samples)
        else:
            wave = 60 + 300 * (np.sin(2 * np.pi * 0.2 * t + c) > 0.8) + rng.normal(0, 8, n_samples)
        out[:, c] = np.clip(np.round(wave), 0, 1023).astype(np.int16)
    return out


def protocol_markers(duration_s: float) -> list[MarkerRecord]:
    """Stimulus blocks (onset, offset), rest blocks and an operator marker with a label."""
    markers = []
    for block, emotion in enumerate(EMOTIONS):
        onset_s = 2.0 + block * 3.0
        if onset_s + 2.0 >= duration_s:
            break
        code = stimulus_onset_code(emotion)
        markers.append(MarkerRecord(int(onset_s * RATE_HZ), code, "protocol", emotion))
        markers.append(
            MarkerRecord(int((onset_s + 1.5) * RATE_HZ), MARKER_STIMULUS_OFFSET, "protocol")
        )
        markers.append(MarkerRecord(int((onset_s + 1.5) * RATE_HZ), MARKER_REST_ONSET, "protocol"))
    markers.append(MarkerRecord(int(1.0 * RATE_HZ), MARKER_OPERATOR_BASE + 3, "host", "blink"))
    return sorted(markers)


def add_session(
    store: SessionStore,
    participant_id: int,
    *,
    duration_s: float,
    seed: int,
    simulated: bool = False,
    kinds: tuple[str, ...] | None = None,
    gap: tuple[int, int] | None = None,
    operator: str | None = OPERATOR,
    marker_label: str | None = None,
    extra_events: Sequence[MarkerRecord] = (),
) -> tuple[int, StoredSamples]:
    """Record a finished session in 1 s batches; return its id and its stored samples."""
    kinds = kinds or ("envelope",) * CHANNELS
    device = {
        "board": "microexp simulator" if simulated else "Arduino Mega 2560",
        "firmware_version": "1.0.0",
        "adc_bits": 10,
        "adc_vref_mv": 5000,
        "port": "/dev/ttyACM0",
    }
    sid = store.start_session(
        participant_id,
        sample_rate_hz=RATE_HZ,
        channels=montage(kinds),
        device=device,
        simulated=simulated,
        protocol="six_emotions",
        operator=operator,
        notes=f"Session run by {operator}; participant seemed tired",
    )
    n = int(duration_s * RATE_HZ)
    data = signal(n, seed, kinds)
    markers = protocol_markers(duration_s)
    if marker_label:
        markers.append(MarkerRecord(RATE_HZ // 2, MARKER_OPERATOR_BASE + 1, "host", marker_label))
    markers.extend(extra_events)
    for first in range(0, n, RATE_HZ):
        stop = min(n, first + RATE_HZ)
        batch = Batch(markers=[m for m in markers if first <= m.sample_index < stop])
        if gap and first <= gap[0] < stop:
            keep = data[first : gap[0]]
            if len(keep):
                batch.chunks.append((first, keep))
            rest = gap[0] + gap[1]
            if rest < stop:
                batch.chunks.append((rest, data[rest:stop]))
            batch.gaps.append(GapRecord(gap[0], gap[1]))
            batch.counters = {"lost_samples": gap[1], "sequence_gaps": 1}
        elif gap and gap[0] <= first < gap[0] + gap[1]:
            rest = gap[0] + gap[1]
            if rest < stop:
                batch.chunks.append((rest, data[rest:stop]))
        else:
            batch.chunks.append((first, data[first:stop]))
        if first == 2 * RATE_HZ:
            batch.artifacts.append((1, "clipping", first, first + 20))
        store.write_batch(sid, batch)
    store.finish_session(sid, "completed", actor=operator or "system")
    return sid, store.read_samples(sid)


def build_db(
    path: Path,
    *,
    duration_s: float = 12.0,
    marker_label: str | None = None,
    extra_events: Sequence[MarkerRecord] = (),
) -> BuiltDb:
    """Two people with planted identity data; three real sessions and one simulated one.

    `marker_label` and `extra_events` go to the first session only.
    """
    built = BuiltDb(path)
    with SessionStore.open(path) as store:
        ids = []
        for person in PEOPLE:
            p = store.create_participant(
                person.code,
                person.birth_year,
                person.sex,
                person.handedness,
                person.name,
                person.contact,
                person.notes,
            )
            ids.append(p.id)
        plans = [
            (ids[0], False, None, (3 * RATE_HZ + 17, 40)),
            (ids[0], False, ("raw",) * 4 + ("envelope",) * 4, None),
            (ids[1], False, None, None),
            (ids[1], True, None, None),
        ]
        for seed, (pid, simulated, kinds, gap) in enumerate(plans):
            label, events = (marker_label, extra_events) if seed == 0 else (None, ())
            sid, samples = add_session(
                store,
                pid,
                duration_s=duration_s,
                seed=seed,
                simulated=simulated,
                kinds=kinds,
                gap=gap,
                marker_label=label,
                extra_events=events,
            )
            built.session_ids.append(sid)
            built.samples[sid] = samples
            if simulated:
                built.simulated_ids.append(sid)
        _add_extras(store, built.session_ids[0])
    return built


def _add_extras(store: SessionStore, sid: int) -> None:
    """Operator notes, an override, expressions and a settings snapshot (TUI tables)."""
    store.add_note(sid, "Participant mentioned her daughter Ophelia's wedding", OPERATOR)
    store.add_override(sid, "electrode", "EMG3", "Gel ran out; Quillfeather agreed", OPERATOR)
    store.save_setup(
        SessionSetup(sid, settings=settings_json({"filters": {"mains_hz": 60.0}})),
    )
    activations = [
        Activation(0, RATE_HZ * 2, RATE_HZ * 2 + 50, RATE_HZ * 2 + 20, 321.0, 52.0),
        Activation(7, RATE_HZ * 5, RATE_HZ * 6, RATE_HZ * 5 + 100, 250.0, None),
    ]
    units = [muscle.action_units for muscle in SEED_MONTAGE]
    found = group_activations(activations, RATE_HZ, units)
    store.save_expressions(sid, found, "offline")


def validate_bids(root: Path, *extra: str) -> dict[str, Any]:
    """Run bids-validator-deno on `root` (with no network when the machine allows it)."""
    exe = shutil.which("bids-validator-deno")
    assert exe, "bids-validator-deno is not installed: pip install bids-validator-deno"
    offline = ["unshare", "--net", "--"]
    probe = subprocess.run([*offline, "true"], capture_output=True, check=False)
    command = [*offline, exe] if probe.returncode == 0 else [exe]
    env = {**os.environ, "DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        [*command, "--format", "json", *extra, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def validator_errors(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issues of a validator result that are errors."""
    return [i for i in result["issues"]["issues"] if i["severity"] == "error"]
