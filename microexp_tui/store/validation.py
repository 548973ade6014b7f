"""Checks on what callers hand the store (montage, device identity, batches), as InputError."""

from __future__ import annotations

import enum
import json
import math
import operator
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from microexp_tui.domain.channels import SENSOR_KINDS, ChannelSpec
from microexp_tui.domain.markers import EVENT_KINDS, clean_label, code_meaning
from microexp_tui.domain.recording import ArtifactRecord, Batch, GapRecord, MarkerRecord
from microexp_tui.errors import InputError
from microexp_tui.store.samples import encode_mask, to_wire

_COUNTER_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_channels(
    channels: Sequence[ChannelSpec], max_channels: int, what: str = "A session"
) -> tuple[ChannelSpec, ...]:
    """A montage checked and sorted by index (InputError naming the first problem).

    It needs 1..max_channels channels indexed 0..n-1 once each, known sensor kinds and a
    usable physical scale.
    """
    montage = tuple(sorted(channels, key=lambda spec: spec.index))
    if not montage:
        raise InputError("A session needs at least one channel in its montage.")
    if len(montage) > max_channels:
        raise InputError(
            f"{what} can have at most {max_channels} channels, not {len(montage)}; "
            "record fewer channels."
        )
    if [spec.index for spec in montage] != list(range(len(montage))):
        raise InputError(
            f"Channel indices {[spec.index for spec in channels]} are invalid: "
            f"use 0..{len(montage) - 1}, each exactly once."
        )
    for spec in montage:
        if spec.sensor_kind not in SENSOR_KINDS:
            raise InputError(
                f"Channel {spec.index} ({spec.label}) has sensor kind {spec.sensor_kind!r}; "
                f"use one of {', '.join(SENSOR_KINDS)}."
            )
        if any("," in unit for unit in spec.action_units):
            raise InputError(f"Channel {spec.index}: action unit names cannot contain ','.")
        _check_physical(spec)
    return montage


def _check_physical(spec: ChannelSpec) -> None:
    """InputError unless the channel's unit, scale, offset and input range are usable."""
    ends = (spec.physical_min, spec.physical_max)
    known = [end for end in ends if end is not None]
    ok = (
        bool(spec.unit.strip())
        and math.isfinite(spec.scale)
        and spec.scale != 0
        and math.isfinite(spec.offset)
        and len(known) in (0, 2)
        and all(math.isfinite(end) for end in known)
        and (not known or known[0] < known[1])
    )
    if not ok:
        raise InputError(
            f"Channel {spec.index} ({spec.label}) has unit {spec.unit!r}, scale {spec.scale}, "
            f"offset {spec.offset} and input range {ends}: it needs a unit, a finite non-zero "
            "scale, a finite offset, and either no range or a finite minimum below the maximum."
        )


def device_json(device: dict[str, Any], simulated: bool) -> str:
    """Device identity as key-sorted JSON with the `simulated` flag set consistently."""
    if "simulated" in device and bool(device["simulated"]) != simulated:
        raise InputError(
            f"The device identity says simulated={device['simulated']!r} but the session is "
            f"started with simulated={simulated}; they must agree."
        )
    try:
        return json.dumps({**device, "simulated": simulated}, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"The device identity is not plain JSON data: {exc}.") from exc


def _as_int(value: Any, what: str) -> int:
    """Any integer (Python or numpy) as int; InputError for anything else."""
    try:
        return operator.index(value)
    except TypeError:
        raise InputError(f"{what} must be an integer, not {value!r}.") from None


def normalise_counters(counters: dict[str, Any]) -> dict[str, int]:
    """Counter values as non-negative ints; names must be lower_snake_case identifiers."""
    result: dict[str, int] = {}
    for name, value in counters.items():
        if not isinstance(name, str) or not _COUNTER_NAME.fullmatch(name):
            raise InputError(f"Quality counter name {name!r} is invalid: use lower_snake_case.")
        result[name] = _as_int(value, f"Quality counter {name}")
        if result[name] < 0:
            raise InputError(f"Quality counter {name} = {value!r}: must be >= 0.")
    return result


def _marker_source(source: Any) -> str:
    """Marker source as text: enum members by lower-case name, integers as decimal text."""
    if isinstance(source, enum.Enum):
        return source.name.lower()
    if isinstance(source, str | int) and not isinstance(source, bool):
        return str(source)
    return ""


def _coalesce(
    chunks: list[tuple[int, np.ndarray, np.ndarray]],
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Merge chunks that follow each other exactly, so each batch stores few, large rows."""
    merged: list[tuple[int, list[np.ndarray], list[np.ndarray]]] = []
    end = None
    for first, values, missing in chunks:
        if merged and first == end:
            merged[-1][1].append(values)
            merged[-1][2].append(missing)
        else:
            merged.append((first, [values], [missing]))
        end = first + len(values)
    return [
        (first, np.concatenate(values), np.concatenate(masks))
        if len(values) > 1
        else (first, values[0], masks[0])
        for first, values, masks in merged
    ]


def _chunk_rows(
    session_id: int, batch: Batch, channel_count: int, end_index: int, sample_format: str
) -> list[dict[str, Any]]:
    """Encode the chunks, which must follow each other after the stored end, without overlap."""
    ordered = sorted(
        ((_as_int(first, "Sample chunk first index"), values) for first, values in batch.chunks),
        key=lambda chunk: chunk[0],
    )
    wire = [
        (first, *to_wire(values, channel_count, first, sample_format)) for first, values in ordered
    ]
    rows: list[dict[str, Any]] = []
    for first_sample, data, missing in _coalesce(wire):
        if first_sample < end_index:
            raise InputError(
                f"Sample chunk at index {first_sample} of session {session_id} overlaps "
                f"samples already stored or written in the same batch (they reach index "
                f"{end_index - 1}); chunks must not overlap."
            )
        rows.append(
            {
                "session_id": session_id,
                "first_sample": first_sample,
                "n_samples": int(data.shape[0]),
                "channel_count": channel_count,
                "data": data.tobytes(),
                "missing": encode_mask(missing),
            }
        )
        end_index = first_sample + int(data.shape[0])
    return rows


def _event(raw: MarkerRecord) -> MarkerRecord:
    """An event with typed fields, its label and condition sanitised.

    An event without a kind gets the kind and condition of its code (`code_meaning`).
    """
    code = None if raw.code is None else _as_int(raw.code, "Marker code")
    kind, condition = raw.kind, raw.condition
    if kind is None and code is not None:
        kind, condition = code_meaning(code)
    return MarkerRecord(
        _as_int(raw.sample_index, "Marker sample index"),
        code,
        _marker_source(raw.source),
        clean_label(raw.label),
        None if raw.host_time_s is None else float(raw.host_time_s),
        kind,
        clean_label(condition),
    )


def _marker_rows(session_id: int, batch: Batch) -> list[dict[str, Any]]:
    """Event rows; InputError for a negative index, a code outside 16 bits, no source or kind."""
    rows = []
    for item in batch.markers:
        event = _event(MarkerRecord(*item))
        valid_code = event.code is None or 0 <= event.code <= 0xFFFF
        if event.sample_index < 0 or not valid_code or not event.source:
            raise InputError(
                f"Marker {tuple(event)} of session {session_id} is invalid: it needs a sample "
                "index >= 0, a 16-bit code (or none) and a source."
            )
        if event.kind not in EVENT_KINDS:
            raise InputError(
                f"Event {tuple(event)} of session {session_id} has kind {event.kind!r}; give "
                f"one of {', '.join(EVENT_KINDS)} (or a marker code to derive it from)."
            )
        rows.append({"session_id": session_id, **event._asdict()})
    return rows


def _gap_rows(session_id: int, batch: Batch) -> list[dict[str, Any]]:
    """Sequence-gap rows; InputError unless the index is >= 0 and the loss positive."""
    rows = []
    for item in batch.gaps:
        gap = GapRecord(*(_as_int(value, "Sequence gap field") for value in item))
        if gap.first_missing_index < 0 or gap.n_lost <= 0:
            raise InputError(f"Sequence gap {tuple(gap)} of session {session_id} is invalid.")
        rows.append({"session_id": session_id, **gap._asdict()})
    return rows


def _artifact_rows(session_id: int, batch: Batch, channel_count: int) -> list[dict[str, Any]]:
    """Artifact rows; InputError for an unknown channel, an empty interval or no flag."""
    rows = []
    for item in batch.artifacts:
        channel, flag, start_index, stop_index = item
        art = ArtifactRecord(
            _as_int(channel, "Artifact channel"),
            str(flag or ""),
            _as_int(start_index, "Artifact start index"),
            _as_int(stop_index, "Artifact stop index"),
        )
        valid_channel = 0 <= art.channel < channel_count
        if not valid_channel or not 0 <= art.start_index < art.stop_index or not art.flag:
            raise InputError(
                f"Artifact {tuple(art)} of session {session_id} is invalid: it needs a channel "
                f"in 0..{channel_count - 1}, a flag and 0 <= start_index < stop_index."
            )
        rows.append({"session_id": session_id, **art._asdict()})
    return rows


def prepare_batch(
    session_id: int, batch: Batch, channel_count: int, end_index: int, sample_format: str
) -> dict[str, list[dict[str, Any]]]:
    """Validate a batch and turn it into rows per table (nothing is written if any part is bad)."""
    return {
        "sample_chunks": _chunk_rows(session_id, batch, channel_count, end_index, sample_format),
        "markers": _marker_rows(session_id, batch),
        "sequence_gaps": _gap_rows(session_id, batch),
        "artifacts": _artifact_rows(session_id, batch, channel_count),
    }
