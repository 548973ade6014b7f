"""Dataset templates: the shipped default, a lab's file, refusals, researchers in the PII scan."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from microexp_tui.cli import main
from microexp_tui.errors import InputError
from microexp_tui.export import IdentifyingDataError, export_sessions
from microexp_tui.export.dataset_template import (
    available_dataset_templates,
    load_dataset_template,
)
from tests.export.helpers import OPERATOR, PEOPLE, BuiltDb, build_db
from tests.schema.helpers import toml_text

MINIMAL = """name = "Pilot"
authors = ["Ada Okonkwo-Brandt", "Tomasz Wierzbicki"]
license = "CC0-1.0"
"""


def _template(folder: Path, text: str, name: str = "lab.toml") -> Path:
    """A dataset template file written by a lab."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_default_template_is_valid_and_its_placeholders_are_known() -> None:
    template = load_dataset_template()
    assert template.name == "default" and len(template.fields.authors) >= 2
    left = template.placeholders()
    assert {"authors", "license", "funding", "ethics_approvals", "readme"} <= set(left)
    assert available_dataset_templates()[0] == "default"


def test_a_minimal_lab_template_fills_the_rest_with_nothing_invented(tmp_path: Path) -> None:
    template = load_dataset_template(_template(tmp_path, MINIMAL))
    assert template.placeholders() == []
    assert template.fields.funding == [] and template.fields.institution.name is None
    assert template.fields.electrodes.interelectrode_distance_mm is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + "autors = ['X']\n", "unknown field 'autors'"),
        (MINIMAL.replace('["Ada Okonkwo-Brandt", "Tomasz Wierzbicki"]', "[]"), "'authors'"),
        (MINIMAL.replace('license = "CC0-1.0"\n', ""), "'license'"),
        (MINIMAL + "[electrodes]\ninterelectrode_distance_mm = -4.0\n", "interelectrode"),
        (MINIMAL + "[[source_datasets]]\nversion = '1'\n", "needs a url or a doi"),
        (MINIMAL + "funding = 'one grant'\n", "'funding'"),
    ],
)
def test_a_wrong_template_is_refused_naming_the_field(
    text: str, expected: str, tmp_path: Path
) -> None:
    path = _template(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_dataset_template(path)
    message = str(caught.value)
    assert expected in message and str(path) in message
    assert "templates/datasets/default.toml lists every field" in message


def test_the_cli_refuses_a_bad_template_before_writing_anything(
    built: BuiltDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _template(tmp_path, MINIMAL + "authors_extra = 1\n")
    out = tmp_path / "out"
    argv = ["export", "--db", str(built.path), "--out", str(out), "--secret-file"]
    argv += [str(tmp_path / "secret.key"), "--dataset-template", str(bad)]
    assert main(argv) == 7
    err = capsys.readouterr().err
    assert "line 4" in err and "authors_extra" in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "secret.key").exists()
    assert main([*argv[:-1], "no_such_template"]) == 7
    assert "No dataset template named 'no_such_template'" in capsys.readouterr().err


def test_the_cli_takes_a_template_by_path(
    built: BuiltDb, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["export", "--db", str(built.path), "--out", str(out), "--secret-file"]
    argv += [str(secret_file), "--session", str(built.session_ids[2]), "--k", "1"]
    assert main([*argv, "--dataset-template", str(_template(tmp_path, MINIMAL))]) == 0
    assert "placeholders" not in capsys.readouterr().err
    edited = MINIMAL + 'ethics_approvals = ["Board, approval number (edit me)"]\n'
    again = [*argv[:4], str(tmp_path / "again"), *argv[5:]]
    assert main([*again, "--dataset-template", str(_template(tmp_path, edited, "b.toml"))]) == 0
    assert "still holds placeholders marked '(edit me)' (ethics_approvals)" in (
        capsys.readouterr().err
    )
    assert '"Pilot"' in (out / "dataset_description.json").read_text()


def test_a_participants_name_given_as_author_stops_the_export(
    built: BuiltDb, tmp_path: Path
) -> None:
    text = MINIMAL.replace("Ada Okonkwo-Brandt", PEOPLE[0].name)
    out = tmp_path / "out"
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(
            built.path,
            out,
            None,
            "bids",
            tmp_path / "secret.key",
            dataset_template=_template(tmp_path, text),
        )
    message = str(caught.value)
    assert "participant name from participant_identity.name" in message
    assert "dataset_description.json" in message
    assert "never a participant's name" in message and "--dataset-template" in message
    assert PEOPLE[0].name not in message, "the message masks the value"
    assert not out.exists()


def test_an_author_who_is_an_operator_is_still_refused_inside_session_files(
    tmp_path: Path,
) -> None:
    built = build_db(tmp_path / "db.sqlite", duration_s=3.0, marker_label=f"ask {OPERATOR}")
    text = MINIMAL.replace("Ada Okonkwo-Brandt", OPERATOR)
    with pytest.raises(IdentifyingDataError) as caught:
        export_sessions(
            built.path,
            tmp_path / "out",
            None,
            "bids",
            tmp_path / "secret.key",
            dataset_template=_template(tmp_path, text),
        )
    message = str(caught.value)
    assert "operator name from sessions.operator" in message and "_events.tsv" in message
    assert "dataset_description.json" not in message and "--dataset-template" not in message


LAB_DOCUMENT: dict[str, Any] = {
    "name": "Pilot",
    "authors": ["Ada Okonkwo-Brandt", "Tomasz Wierzbicki"],
    "license": "CC0-1.0",
    "electrodes": {"interelectrode_distance_mm": 10.0, "group": "face"},
    "stimulus_presentation": {"screen_distance_m": 0.6},
}
BAD_VALUES: list[tuple[str, tuple[str, ...], object, str]] = [
    ("nan", ("electrodes", "interelectrode_distance_mm"), float("nan"), "electrodes."),
    ("inf", ("stimulus_presentation", "screen_distance_m"), float("inf"), "screen_distance_m"),
    ("out of range", ("stimulus_presentation", "screen_distance_m"), 500.0, "screen_distance"),
    ("too long", ("name",), "x" * 201, "'name'"),
    ("two lines", ("license",), "CC0\nCC-BY", "'license'"),
    ("number for text", ("license",), 4, "'license'"),
    ("text for number", ("electrodes", "interelectrode_distance_mm"), "10", "electrodes."),
    ("unknown", ("electrodes", "colour"), "red", "'electrodes.colour'"),
]


@pytest.mark.parametrize(
    ("case", "where", "value", "field"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES]
)
def test_a_bad_value_is_refused_on_one_line_naming_the_file_and_field(
    case: str, where: tuple[str, ...], value: object, field: str, tmp_path: Path
) -> None:
    document = copy.deepcopy(LAB_DOCUMENT)
    target: Any = document
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    path = _template(tmp_path, toml_text(document))
    with pytest.raises(InputError) as caught:
        load_dataset_template(path)
    message = str(caught.value)
    assert field in message and str(path) in message and "\n" not in message, message


def test_an_unreadable_template_is_refused_with_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        load_dataset_template(folder)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'name = "Caf\xe9"\n')
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_dataset_template(latin1)
    with pytest.raises(InputError, match=r"not valid TOML \(line 3"):
        load_dataset_template(_template(tmp_path, 'name = "ok"\n\n[electrodes\n'))
    with pytest.raises(InputError, match="does not exist"):
        load_dataset_template(tmp_path / "missing.toml")
