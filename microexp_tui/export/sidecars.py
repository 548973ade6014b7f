"""Contents of the BIDS sidecars and tables of one session (no file I/O here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from microexp_tui import __version__
from microexp_tui.export.dataset_template import DatasetTemplateFile
from microexp_tui.export.events import EventRow
from microexp_tui.export.plan import SessionPlan
from microexp_tui.export.task_labels import FREE_TASK
from microexp_tui.expressions.stimulus_response import RESPONSE_RULE

NA = "n/a"
EVENT_COLUMNS: tuple[str, ...] = (
    "onset",
    "duration",
    "sample",
    "trial_type",
    "value",
    "target_emotion",
    "channel",
    "source",
    "label",
    "response_emotion",
    "response_match",
)
CHANNEL_COLUMNS: tuple[str, ...] = (
    "name",
    "type",
    "units",
    "description",
    "sampling_frequency",
    "signal_electrode",
    "reference",
    "group",
    "target_muscle",
    "placement_scheme",
    "placement_description",
    "interelectrode_distance",
    "low_cutoff",
    "high_cutoff",
    "notch",
)
PLACEMENT = (
    "One surface EMG sensor module per target facial muscle (channels.tsv target_muscle, "
    "with its action units in the description), placed over the muscle belly by anatomical "
    "landmarks; no electrode coordinates were recorded."
)
BIPOLAR = "bipolar"
"""`reference` of a channel from a bipolar sensor module (its two electrodes are one channel)."""
EMG_REFERENCE_BIPOLAR = "Bipolar"
"""`EMGReference` of a recording from bipolar sensors whose contacts are not in electrodes.tsv."""
GROUND = (
    "Each sensor module's own reference electrode, placed over an electrically neutral site "
    "(its position was not recorded)."
)
HARDWARE_ENVELOPE = {
    "Sensor envelope": {
        "Description": "Sensor module output: amplified, full-wave rectified and smoothed "
        "EMG envelope (e.g. Muscle Sensor V3 SIG, MyoWare ENV); corner frequencies are set "
        "by the module and were not recorded."
    }
}
HARDWARE_RAW = {
    "Sensor amplifier": {
        "Description": "Sensor module raw output (e.g. MyoWare RAW, centred on Vref/2); "
        "its analogue band limits are set by the module and were not recorded."
    }
}


def emg_sidecar(plan: SessionPlan, dataset: DatasetTemplateFile) -> dict[str, Any]:
    """The `*_emg.json` sidecar: required and recommended fields, simulated label included."""
    record = plan.record
    device = record.device if hasattr(record.device, "get") else {}
    kinds = {spec.sensor_kind for spec in record.channels}
    hardware: dict[str, Any] = {}
    if "envelope" in kinds:
        hardware |= HARDWARE_ENVELOPE
    if "raw" in kinds:
        hardware |= HARDWARE_RAW
    firmware = device.get("firmware_version")
    return {
        "TaskName": plan.task_label,
        "TaskDescription": _task_description(plan),
        "EMGPlacementScheme": "Other",
        "EMGPlacementSchemeDescription": dataset.electrodes.placement or PLACEMENT,
        "EMGReference": EMG_REFERENCE_BIPOLAR,
        "EMGGround": dataset.electrodes.ground or GROUND,
        "SamplingFrequency": plan.rate_hz,
        "PowerLineFrequency": plan.power_line_hz if plan.power_line_hz else NA,
        "SoftwareFilters": NA,
        "HardwareFilters": hardware or NA,
        "RecordingType": "continuous",
        "RecordingDuration": record.samples_per_channel / plan.rate_hz,
        "EMGChannelCount": len(record.channels),
        "Manufacturer": "microexp-tui simulated board" if plan.simulated else NA,
        "ManufacturersModelName": str(device.get("board") or NA),
        "SoftwareVersions": f"firmware {firmware or 'unknown'}; microexp-tui {__version__}",
        "SubjectArtefactDescription": _artefacts(plan),
        "DeviceSerialNumber": dataset.device_serial_number or NA,
        "ElectrodeManufacturer": dataset.electrodes.manufacturer or NA,
        "ElectrodeManufacturersModelName": dataset.electrodes.model_name or NA,
        "ElectrodeMaterial": dataset.electrodes.material or NA,
        "Instructions": dataset.instructions or NA,
        "InstitutionName": dataset.institution.name or NA,
        "InstitutionAddress": dataset.institution.address or NA,
        "InstitutionalDepartmentName": dataset.institution.department or NA,
    }


def _task_description(plan: SessionPlan) -> str:
    """What the task was, and whether a person was recorded at all."""
    task = (
        f"Stimulus protocol '{plan.task_label}': onsets, durations and target emotions are "
        "in the events file."
        if plan.task_label != FREE_TASK
        else "Recording without a stimulus protocol."
    )
    if plan.simulated:
        task = "SIMULATED session: signals from the simulated board, not from a person. " + task
    return task


def _artefacts(plan: SessionPlan) -> str:
    """How samples are scaled and how gaps and the end padding are marked."""
    return (
        f"Stored samples without software filtering, {_input_ranges(plan)}. Samples lost in "
        "transit are filled with the sensor's resting level and marked BAD_ACQ_SKIP in the "
        "EDF annotations and as acquisition_gap events; the last data record is completed "
        "the same way and marked BAD_END_PADDING. Artifact flags (clipping, flat line, "
        "motion) are events."
    )


def _input_ranges(plan: SessionPlan) -> str:
    """The channels' units and input ranges, e.g. `in mV at the input (0..5000 mV)`."""
    ranges = dict.fromkeys(
        (spec.unit, spec.physical_min, spec.physical_max) for spec in plan.record.channels
    )
    parts = [
        f"in {unit} at the input ({low:g}..{high:g} {unit})"
        if low is not None and high is not None
        else f"in {unit}"
        for unit, low, high in ranges
    ]
    return "; ".join(parts)


def channel_rows(plan: SessionPlan, dataset: DatasetTemplateFile) -> list[list[Any]]:
    """Rows of `*_channels.tsv`: one bipolar sensor per channel, no software filters."""
    electrodes = dataset.electrodes
    distance_mm = electrodes.interelectrode_distance_mm
    rows = []
    for name, spec in zip(plan.channel_names, plan.record.channels, strict=True):
        units = ", ".join(spec.action_units) or "none listed"
        description = f"{spec.sensor_kind} sensor output; action units {units}"
        if plan.simulated:
            description = "SIMULATED " + description
        rows.append(
            [
                name,
                "EMG",
                spec.unit,
                description,
                plan.rate_hz,
                name,
                BIPOLAR,
                electrodes.group,
                spec.muscle or NA,
                "other",
                _placement(spec.muscle),
                NA if distance_mm is None else distance_mm,
                NA,
                NA,
                NA,
            ]
        )
    return rows


def _placement(muscle: str | None) -> str:
    """How one channel's sensor was placed (`placement_description` of channels.tsv)."""
    if not muscle:
        return NA
    return f"over the belly of the {muscle}, by anatomical landmarks"


def event_cells(rows: Sequence[EventRow], rate_hz: float) -> list[list[Any]]:
    """Rows of `*_events.tsv`."""
    return [
        [
            round(row.onset_s(rate_hz), 6),
            None if row.duration_s(rate_hz) is None else round(row.duration_s(rate_hz) or 0.0, 6),
            row.sample,
            row.trial_type,
            row.value,
            row.target_emotion,
            row.channel,
            row.source,
            row.label,
            row.response_emotion,
            None if row.response_match is None else ("yes" if row.response_match else "no"),
        ]
        for row in rows
    ]


EVENTS_SIDECAR: dict[str, Any] = {
    "onset": {"Description": "Seconds from the first sample of the recording.", "Units": "s"},
    "duration": {
        "Description": "Seconds the event lasted: a stimulus up to its offset marker (n/a "
        "without one), a rest block up to the next step, a guided contraction for its step's "
        "length; 0 for instantaneous markers (offsets, operator keys, triggers).",
        "Units": "s",
    },
    "sample": {"Description": "Index of the onset sample (0 = first sample)."},
    "trial_type": {
        "Description": "Kind of event.",
        "Levels": {
            "stimulus": "stimulus presented (duration up to its offset marker)",
            "stimulus_offset": "stimulus offset marker",
            "rest": "rest block (duration up to the next step: a stimulus, a guided contraction)",
            "trigger": "trigger input of the board",
            "operator_marker": "marker key pressed by the operator",
            "marker": "other marker code (guided contractions: their step's length)",
            "acquisition_gap": "samples lost in transit (filled in the EDF file)",
            "artifact_clipping": "signal at the ADC rails on one channel",
            "artifact_flat_line": "flat line (electrode off?) on one channel",
            "artifact_motion": "motion artifact on one channel",
            "micro_expression": (
                "facial micro-expression (500 ms or shorter): muscle activations grouped across "
                "channels; label: action units, likely emotion (confidence) and channels"
            ),
            "macro_expression": (
                "facial expression longer than 500 ms: muscle activations grouped across "
                "channels; label: action units, likely emotion (confidence) and channels"
            ),
        },
    },
    "value": {"Description": "Marker code (16-bit) for marker events."},
    "target_emotion": {"Description": "Emotion the stimulus is meant to elicit."},
    "channel": {"Description": "Channel of channel-specific events (channels.tsv name)."},
    "source": {"Description": "What produced the event (board, host, protocol, detector)."},
    "label": {
        "Description": "Free-text label stored with a marker; for expressions, their action "
        "units, likely emotion (confidence) and channels."
    },
    "response_emotion": {
        "Description": "For a stimulus: the emotion the expressions answering it show "
        "(`unclear` when none is clear; n/a without an answer). " + RESPONSE_RULE
    },
    "response_match": {
        "Description": "For a stimulus: whether an answering expression shows its target emotion.",
        "Levels": {"yes": "a response shows the target emotion", "no": "none does"},
    },
}


def events_sidecar(rows: Sequence[EventRow], dataset: DatasetTemplateFile) -> dict[str, Any]:
    """The events sidecar, with trial_type levels for exactly the types present."""
    sidecar = {key: dict(value) for key, value in EVENTS_SIDECAR.items()}
    sidecar["StimulusPresentation"] = stimulus_presentation(dataset)
    known: dict[str, str] = EVENTS_SIDECAR["trial_type"]["Levels"]
    present = sorted({row.trial_type for row in rows})
    sidecar["trial_type"]["Levels"] = {
        kind: known.get(kind, kind.replace("_", " ")) for kind in present
    }
    if not present:
        del sidecar["trial_type"]["Levels"]
    return sidecar


def stimulus_presentation(dataset: DatasetTemplateFile) -> dict[str, Any]:
    """`StimulusPresentation` of the events sidecar: this program, and the lab's screen setup."""
    shown = dataset.stimulus_presentation
    described: dict[str, Any] = {
        "SoftwareName": "microexp-tui",
        "SoftwareVersion": __version__,
        "OperatingSystem": shown.operating_system or NA,
        "ScreenDistance": NA if shown.screen_distance_m is None else shown.screen_distance_m,
    }
    if shown.head_stabilization:
        described["HeadStabilization"] = shown.head_stabilization
    return described


SESSION_COLUMNS: tuple[str, ...] = (
    "session_id",
    "acq_time",
    "task",
    "simulated",
    "status",
    "duration_s",
    "lost_samples",
    "board",
)

SESSIONS_SIDECAR: dict[str, Any] = {
    "acq_time": {
        "Description": "Start of the recording, UTC, shifted by a keyed number of whole "
        "weeks per participant (years before 1900 mark shifted dates; intervals between a "
        "participant's sessions are kept)."
    },
    "task": {"Description": "Task label of the session's files."},
    "simulated": {
        "Description": "true when the signals came from the simulated board, not a person.",
        "Levels": {"true": "simulated board", "false": "recorded from a person"},
    },
    "status": {
        "Description": "How the recording ended.",
        "Levels": {
            "completed": "ran for its planned duration",
            "aborted": "stopped early by the operator",
            "interrupted": "the program or computer stopped during the recording",
            "imported": "read from another system's EDF/BDF or BIDS-EMG files",
            "empty": "the board sent no valid sample (see the quality counters)",
        },
    },
    "duration_s": {"Description": "Recorded duration.", "Units": "s"},
    "lost_samples": {"Description": "Samples per channel lost in transit (filled, marked)."},
    "board": {"Description": "Acquisition board model."},
}


def session_row(plan: SessionPlan) -> list[Any]:
    """One row of a subject's `*_sessions.tsv`."""
    record = plan.record
    board = record.device.get("board") if hasattr(record.device, "get") else None
    return [
        f"ses-{plan.session_label}",
        plan.acq_time,
        plan.task_label,
        plan.simulated,
        record.status,
        round(record.duration_s, 6),
        int(record.counters.get("lost_samples", 0)),
        board or NA,
    ]
