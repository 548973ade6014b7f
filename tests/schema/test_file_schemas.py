"""Every file schema refuses NaN, inf, out-of-range, too-long, unknown and wrongly typed values,
and every loader refuses a folder, non-UTF-8 bytes, an unreadable file and a syntax error: one
error (InputError, ModelError for a model card) naming the file and the field, no traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from microexp_tui.errors import InputError, MicroexpError, ModelError
from microexp_tui.inference.card import read_card
from microexp_tui.paths import resource_dir
from microexp_tui.report.template import load_template
from microexp_tui.settings import load_settings
from microexp_tui.simulator.scenario import load_scenario
from microexp_tui.study.montages import load_preset
from microexp_tui.study.protocols import load_protocol
from tests.schema.helpers import toml_text, unreadable

SHIPPED_CARD = resource_dir("models") / "cnn_window.card.json"
NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Kind:
    """One kind of file: a valid document, how it is loaded, and the error it raises."""

    name: str
    suffix: str
    document: Callable[[], dict[str, Any]]
    load: Callable[[Path], object]
    error: type[MicroexpError] = InputError

    def write(self, path: Path, document: dict[str, Any]) -> Path:
        """Write a document of this kind (TOML, or JSON for a card)."""
        text = json.dumps(document) if self.suffix == ".json" else toml_text(document)
        path.write_text(text, encoding="utf-8")
        return path


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "protocol",
            ".toml",
            lambda: {
                "title": "Lab",
                "repetitions": 2,
                "block": [
                    {"kind": "rest", "duration_s": 2.0},
                    {"kind": "stimulus", "emotion": "happy", "duration_s": 2.0, "jitter_s": 0.5},
                ],
            },
            lambda path: load_protocol(str(path)),
        ),
        Kind(
            "montage",
            ".toml",
            lambda: {
                "title": "Lab",
                "channel": [{"muscle": "Frontalis", "sensor_kind": "raw", "action_units": ["AU1"]}],
            },
            lambda path: load_preset(path.stem, path.parent),
        ),
        Kind(
            "template",
            ".toml",
            lambda: {
                "title": "Lab",
                "timeline_minutes_per_row": 5.0,
                "wording": {"signoff": "Reviewed."},
            },
            load_template,
        ),
        Kind(
            "scenario",
            ".toml",
            lambda: {
                "description": "Lab",
                "participant": {"micro_probability": 0.2, "latency_ms": [300, 800]},
                "expression": [{"at_s": 1.0, "emotion": "happy", "duration_ms": 150.0}],
            },
            load_scenario,
        ),
        Kind(
            "settings",
            ".toml",
            lambda: {
                "operator": "Ana",
                "refresh_hz": 25.0,
                "filters": {"mains_hz": 60.0},
                "checks": {"rest_s": 3.0},
            },
            lambda path: load_settings(path, {}),
        ),
        Kind(
            "card",
            ".json",
            lambda: json.loads(SHIPPED_CARD.read_text(encoding="utf-8")),
            read_card,
            ModelError,
        ),
    )
}

LONG_TITLE = "x" * 201
CASES: list[tuple[str, str, tuple[str | int, ...], object, str]] = [
    # kind, case, where to put the value, the value, the field the message must name
    ("protocol", "nan", ("block", 1, "duration_s"), NAN, "block[2].duration_s"),
    ("protocol", "inf", ("block", 1, "jitter_s"), INF, "block[2].jitter_s"),
    ("protocol", "out of range", ("repetitions",), 1_000_000_000, "repetitions"),
    ("protocol", "negative", ("block", 0, "duration_s"), -1.0, "block[1].duration_s"),
    ("protocol", "too long", ("title",), LONG_TITLE, "title"),
    ("protocol", "unknown", ("block", 0, "colour"), "red", "block[1].colour"),
    ("protocol", "number for text", ("title",), 5, "title"),
    ("protocol", "text for number", ("block", 0, "duration_s"), "2", "block[1].duration_s"),
    ("protocol", "unknown choice", ("block", 1, "emotion"), "joy", "block[2].emotion"),
    ("montage", "out of range", ("channel",), [{"muscle": "Frontalis"}] * 17, "channel"),
    ("montage", "too long", ("title",), LONG_TITLE, "title"),
    ("montage", "unknown", ("channel", 0, "gain"), 2, "channel[1].gain"),
    ("montage", "number for text", ("channel", 0, "muscle"), 5, "channel[1].muscle"),
    ("montage", "unknown choice", ("channel", 0, "sensor_kind"), "optical", "sensor_kind"),
    ("template", "nan", ("timeline_minutes_per_row",), NAN, "timeline_minutes_per_row"),
    ("template", "inf", ("timeline_minutes_per_row",), INF, "timeline_minutes_per_row"),
    ("template", "out of range", ("max_event_rows",), 10**9, "max_event_rows"),
    ("template", "too long", ("title",), LONG_TITLE, "title"),
    ("template", "unknown", ("wording", "farewell"), "Bye.", "wording.farewell"),
    ("template", "number for text", ("title",), 5, "title"),
    ("template", "text for number", ("max_event_rows",), "many", "max_event_rows"),
    ("scenario", "nan", ("expression", 0, "at_s"), NAN, "expression[1].at_s"),
    ("scenario", "inf", ("participant", "micro_probability"), INF, "micro_probability"),
    ("scenario", "out of range", ("participant", "micro_probability"), 2.0, "micro_probability"),
    ("scenario", "too long", ("description",), "x" * 2001, "description"),
    ("scenario", "unknown", ("participant", "mood"), "calm", "participant.mood"),
    ("scenario", "number for text", ("description",), 5, "description"),
    ("scenario", "text for number", ("expression", 0, "duration_ms"), "150", "duration_ms"),
    ("settings", "nan", ("refresh_hz",), NAN, "refresh_hz"),
    ("settings", "inf", ("checks", "rest_s"), INF, "checks.rest_s"),
    ("settings", "out of range", ("filters", "mains_harmonics"), 10**9, "mains_harmonics"),
    ("settings", "not 50 or 60", ("filters", "mains_hz"), 55.0, "filters.mains_hz"),
    ("settings", "too long", ("operator",), LONG_TITLE, "operator"),
    ("settings", "unknown", ("colour",), "red", "colour"),
    ("settings", "number for text", ("operator",), 5, "operator"),
    ("settings", "text for number", ("refresh_hz",), "20", "refresh_hz"),
    ("card", "nan", ("input", "rate_hz"), NAN, "input.rate_hz"),
    ("card", "inf", ("neutral", "low"), INF, "neutral.low"),
    ("card", "out of range", ("input", "window_rows"), 0, "input.window_rows"),
    ("card", "too long", ("model_id",), LONG_TITLE, "model_id"),
    ("card", "number for text", ("model_id",), 5, "model_id"),
    ("card", "text for number", ("input", "window_rows"), "10", "input.window_rows"),
    ("card", "unknown choice", ("channels", 0, "sensor_kind"), "optical", "sensor_kind"),
]


def put(document: dict[str, Any], where: tuple[str | int, ...], value: object) -> None:
    """Set the value at a path of keys and list positions."""
    target: Any = document
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value


def refused(kind: Kind, path: Path) -> str:
    """The message of the error loading `path` raises: one line naming the file."""
    with pytest.raises(kind.error) as caught:
        kind.load(path)
    message = str(caught.value)
    assert str(path) in message and "Traceback" not in message and "\n" not in message
    return message


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_valid_document_loads(tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    assert kind.load(kind.write(tmp_path / f"valid{kind.suffix}", kind.document())) is not None


@pytest.mark.parametrize(
    ("name", "case", "where", "value", "field"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_a_bad_value_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, name: str, case: str, where: tuple[str | int, ...], value: object, field: str
) -> None:
    kind = KINDS[name]
    document = copy.deepcopy(kind.document())
    put(document, where, value)
    message = refused(kind, kind.write(tmp_path / f"bad{kind.suffix}", document))
    assert field in message, message


def test_every_kind_has_each_value_case() -> None:
    cases = {(name, case) for name, case, *_ in CASES}
    for name in KINDS:
        wanted = {"out of range", "too long", "number for text"}
        wanted |= set() if name == "montage" else {"nan", "inf", "text for number"}
        wanted |= set() if name == "card" else {"unknown"}  # a card's extra keys are its notes
        assert wanted <= {case for kind, case in cases if kind == name}, name


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_folder_is_refused(tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    folder = tmp_path / f"folder{kind.suffix}"
    folder.mkdir()
    assert "is a folder" in refused(kind, folder)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_bytes_that_are_not_utf8_are_refused(tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    path = tmp_path / f"latin1{kind.suffix}"
    path.write_bytes(b"title = \xe9\n")
    assert "not UTF-8 text (byte 8" in refused(kind, path)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_an_unreadable_file_is_refused(tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    path = kind.write(tmp_path / f"locked{kind.suffix}", kind.document())
    if not unreadable(path):
        pytest.skip("this user can read a chmod 000 file (root)")
    assert "permission denied" in refused(kind, path)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_syntax_error_names_the_line(tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    path = tmp_path / f"broken{kind.suffix}"
    path.write_text('title = "ok"\n\n[[block]\n' if kind.suffix == ".toml" else '{\n"a": 1,\n}')
    message = refused(kind, path)
    assert "line 3" in message and ("TOML" in message or "JSON" in message)


def test_a_protocol_longer_than_a_day_is_refused_and_a_day_is_not(tmp_path: Path) -> None:
    kind = KINDS["protocol"]
    document = kind.document()
    document["repetitions"] = 1000
    document["block"] = [{"kind": "rest", "duration_s": 80.0, "isi_s": 6.0, "jitter_s": 0.4}]
    assert load_protocol(str(kind.write(tmp_path / "day.toml", document))).repetitions == 1000
    document["block"][0]["jitter_s"] = 1.0  # 1000 x 87 s = 24.2 h
    message = refused(kind, kind.write(tmp_path / "longer.toml", document))
    assert "24.2 h" in message and "at most 24 h" in message


def test_a_stimulus_without_an_emotion_points_at_its_block(tmp_path: Path) -> None:
    kind = KINDS["protocol"]
    document = kind.document()
    del document["block"][1]["emotion"]
    message = refused(kind, kind.write(tmp_path / "p.toml", document))
    assert "line 8: field 'block[2].emotion' is missing" in message
