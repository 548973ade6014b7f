"""The safe reader and the error wording, on real files: every failure is one InputError."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from microexp_tui.errors import InputError
from microexp_tui.schema.problems import field_path, toml_line, validate_file
from microexp_tui.schema.reader import MAX_FILE_BYTES, read_person_file
from microexp_tui.schema.types import FileModel, Title
from tests.schema.helpers import unreadable


class Sample(FileModel):
    """A small schema to word problems with."""

    title: Title
    count: Annotated[int, Field(ge=1, le=10)] = 1
    ratio: float = 0.5


def read(path: Path) -> Sample:
    """Read and check a sample file."""
    return validate_file(Sample, read_person_file(path, "sample file"))


def refused(path: Path) -> str:
    """The message of the InputError reading `path` raises."""
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert str(path) in message and "Traceback" not in message
    return message


def test_a_valid_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('title = "  Lab  "\ncount = 3\n', encoding="utf-8")
    assert read(path) == Sample(title="Lab", count=3)


def test_missing_folder_and_unreadable_files_are_named(tmp_path: Path) -> None:
    assert "does not exist" in refused(tmp_path / "absent.toml")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert "is a folder" in refused(folder)
    locked = tmp_path / "locked.toml"
    locked.write_text('title = "x"\n', encoding="utf-8")
    if not unreadable(locked):
        pytest.skip("this user can read a chmod 000 file (root)")
    assert "permission denied" in refused(locked)


def test_bytes_that_are_not_utf8_are_named_by_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'title = "Caf\xe9"\n')
    assert "not UTF-8 text (byte 12" in refused(path)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbftitle = "Lab"\n')
    assert read(path).title == "Lab"


def test_toml_and_json_syntax_errors_name_line_and_column(tmp_path: Path) -> None:
    toml = tmp_path / "broken.toml"
    toml.write_text('title = "ok"\ncount = = 2\n', encoding="utf-8")
    assert "not valid TOML (line 2, column 9" in refused(toml)
    json_file = tmp_path / "broken.json"
    json_file.write_text('{\n  "title": "ok",\n  "count": }\n', encoding="utf-8")
    assert "not valid JSON (line 3, column 12" in refused(json_file)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    assert "JSON object" in refused(listed)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    assert f"at most {MAX_FILE_BYTES} bytes" in refused(path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('title = "x"\ncount = 11\n', "line 2: field 'count' must be at most 10, not 11"),
        ('title = "x"\ncount = "3"\n', "field 'count' must be a whole number, not '3'"),
        ('title = "x"\ncount = 2.0\n', "field 'count' must be a whole number, not 2"),
        ('title = "x"\ncount = true\n', "field 'count' must be a whole number, not true"),
        ('title = "x"\nratio = nan\n', "field 'ratio' must be a finite number"),
        ('title = "x"\nratio = -inf\n', "field 'ratio' must be a finite number"),
        ("title = 5\n", "line 1: field 'title' must be text (in quotes), not 5"),
        ('title = ""\n', "field 'title' must not be empty"),
        ('title = "a\\nb"\n', "field 'title' must be one line of text"),
        ("count = 2\n", "field 'title' is missing"),
        (
            'title = "x"\ncolour = 1\n',
            "line 2: unknown field 'colour' (known: title, count, ratio)",
        ),
    ],
)
def test_each_problem_names_the_field_what_is_wrong_and_what_is_allowed(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    message = refused(path)
    assert message.startswith(f"Sample file {path}: ") and expected in message


def test_a_huge_value_is_refused_quickly_and_not_quoted_back(tmp_path: Path) -> None:
    path = tmp_path / "long.toml"
    path.write_text(f'title = "{"x" * 200_000}"\n', encoding="utf-8")
    started = time.perf_counter()
    message = refused(path)
    assert time.perf_counter() - started < 5.0, "a generous bound: it takes milliseconds"
    assert "at most 200 characters (it has 200000)" in message and len(message) < 400


def test_many_problems_are_counted_after_the_first_three(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text("title = 1\ncount = 0\nratio = nan\na = 1\nb = 2\n", encoding="utf-8")
    assert "(and 2 more)" in refused(path)


def test_field_paths_count_entries_from_one() -> None:
    assert field_path(("block", 2, "duration_s")) == "block[3].duration_s"
    assert field_path(("wording", "caveats", 0)) == "wording.caveats[1]"
    assert field_path(()) == ""


def test_toml_lines_follow_headers_and_keys() -> None:
    text = (
        'title = "x"\n'  # 1
        "\n"
        "[[block]]\n"  # 3
        "kind = 'rest'\n"
        "\n"
        "[[block]]\n"  # 6
        "kind = 'stimulus'\n"
        "duration_s = -1\n"  # 8
        "\n"
        "[wording]\n"  # 10
        "signoff = ''\n"  # 11
    )
    assert toml_line(text, "title") == 1
    assert toml_line(text, "block[2].duration_s") == 8
    assert toml_line(text, "block[2].emotion") == 6, "a missing key points at its table"
    assert toml_line(text, "block[1]") == 3
    assert toml_line(text, "wording.signoff") == 11
    assert toml_line(text, "repetitions") is None
