"""README texts shipped inside exports: what the files hold and how they were anonymised."""

from __future__ import annotations

from collections.abc import Sequence

from microexp_tui.export.plan import SessionPlan

ANONYMISATION = """## Anonymisation

- Participants are named by a keyed pseudonym (HMAC-SHA256 of the site's participant code
  with a secret kept at the site, truncated to 12 hex digits): stable across exports made
  with the same secret, and useless without it.
- No names, contact details, notes, operator names, internal ids or birth dates. Age is a
  5-year band (90 and over: 90+) from the birth year; sex and handedness as reported.
- No calendar dates. Session start times are shifted back by a keyed number of whole weeks
  per participant (to years before 1900, the BIDS convention for shifted dates); intervals
  between one participant's sessions are kept. EDF+ headers carry no date at all
  (01.01.85, `Startdate X`) and `X` for every patient subfield but the pseudonym.
- Before the export was finalised, every file was searched for every identifying value in
  the source database; it would have been refused had any been found.
"""

SIMULATED = """## Simulated sessions

Sessions recorded from the program's simulated board are not data from a person. Each is
labelled in everything made from it: the `acq-simulated` entity in every file name,
`simulated` in the session tables, `SIMULATED` in the EDF+ recording field and a
`SIMULATED session` annotation at 0 s, and the task description of its sidecar.
"""


def bids_readme(plans: Sequence[SessionPlan], about: str = "") -> str:
    """README.md of a BIDS export, opened by the lab's own text `about` when there is one."""
    simulated = sum(plan.simulated for plan in plans)
    subjects = len({plan.subject.label for plan in plans})
    lab_text = ["## About this dataset", "", about.strip(), ""] if about.strip() else []
    return "\n".join(
        [
            "# Facial EMG sessions (microexp-tui export)",
            "",
            *lab_text,
            "## This export",
            "",
            f"{len(plans)} session(s) of {subjects} participant(s), {simulated} of them "
            "SIMULATED. Surface EMG over facial muscles (target muscle and action units per "
            "channel in `*_channels.tsv`), recorded with an Arduino-class board. Each channel is",
            "one bipolar sensor module (`reference` `bipolar` in `*_channels.tsv`) with its own",
            "reference electrode (`EMGGround` in `*_emg.json`).",
            "",
            "## Signals",
            "",
            "`*_emg.edf` (EDF+C) holds the stored ADC samples unchanged as digital values; the",
            "physical range converts them exactly to mV at the ADC input (10-bit, 5000 mV:",
            "4.8828125 mV per count). No software filter was applied (`SoftwareFilters: n/a`);",
            "for envelope sensors the module itself rectifies and smooths the EMG. Samples lost",
            "in transit are filled with the sensor's resting level and annotated `BAD_ACQ_SKIP`",
            "(MNE skips `BAD_` spans); the last 1 s data record is completed the same way and",
            "annotated `BAD_END_PADDING`. Events (stimuli with target emotion and duration,",
            "operator markers, gaps, artifact flags, detected expressions) are in",
            "`*_events.tsv`. Model predictions, if any, are in `derivatives/` with their model",
            "cards. Trial-level responses (per trial, muscle and 100 ms bin: baseline-corrected",
            "change, z within participant and muscle, exclusions with reasons) are in",
            "`derivatives/trials/`, each table with a sidecar describing every column.",
            "",
            ANONYMISATION,
            SIMULATED,
            "## Integrity",
            "",
            "`MANIFEST.sha256` lists the SHA-256 of every file (`sha256sum -c MANIFEST.sha256`,",
            "or `microexp export verify DIR`).",
            "",
        ]
    )


def tabular_readme(plans: Sequence[SessionPlan], fmt: str) -> str:
    """README.md of a Parquet or CSV export."""
    ext = fmt
    return "\n".join(
        [
            f"# Facial EMG sessions (microexp-tui export, {fmt.upper()})",
            "",
            f"{len(plans)} session(s), {sum(p.simulated for p in plans)} of them SIMULATED.",
            "",
            "## Tables",
            "",
            f"- `sessions.{ext}`: one row per session (`session` = `sub-<label>_ses-<label>`),",
            "  task, shifted start time, duration, rate, `simulated`, quality counters.",
            f"- `participants.{ext}`: pseudonym, age band, sex, handedness.",
            f"- `channels.{ext}`: channel name, target muscle, action units, sensor kind, units.",
            f"- `events.{ext}`: onset (s), duration (s), sample, trial type, marker code,",
            "  target emotion, channel, source, label, and for stimuli the emotion of the",
            "  expressions answering them and whether it matches (response_emotion,",
            "  response_match: the per-stimulus rule the Review screen and the report apply).",
            f"- `samples/<session>.{ext}`: long format, one row per sample and channel: session,",
            "  channel, sample_index, time_s, value_mv (mV at the input; `value` in each",
            "  channel's own unit for a session not in volts; null where lost in transit),",
            "  condition (target emotion or imported condition of the stimulus in progress,",
            "  `rest`, or null) and simulated.",
            f"- `predictions.{ext}` and `models/*.card.json`, when models classified sessions.",
            f"- `trials.{ext}`: trial-level responses (per trial, muscle and 100 ms bin), when "
            "sessions have stimulus or event onsets.",
            "",
            ANONYMISATION,
            SIMULATED.replace(
                "the `acq-simulated` entity in every file name,\n`simulated` in the session "
                "tables, `SIMULATED` in the EDF+ recording field and a\n`SIMULATED session` "
                "annotation at 0 s, and the task description of its sidecar.",
                "a `simulated` column in every table.",
            ),
            "## Integrity",
            "",
            "`MANIFEST.sha256` lists the SHA-256 of every file (`microexp export verify DIR`).",
            "",
        ]
    )
