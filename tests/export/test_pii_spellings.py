"""The scanner finds identifying values however an export spells them, in names and contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.export.pii import Sensitive, date_spellings, needles, phone_cores
from microexp_tui.export.pii import _contact as contact_items
from microexp_tui.export.pii import _names as name_items
from microexp_tui.export.scan import scan_tree
from microexp_tui.export.task_labels import task_labels
from tests.export.helpers import BuiltDb

OPERATOR = name_items("operator name", "Firstname Lastname", "sessions.operator (session 1)")
PHONE = contact_items("+41 79 555 01 99", "participant_identity.contact (participant 1)")
MAIL = contact_items("Zoe.Quill@example.org", "participant_identity.contact (participant 1)")
DAY = [Sensitive("date", "sessions.started_at (session 1)", s) for s in date_spellings(2026, 3, 5)]


def _found(root: Path, items: list[Sensitive]) -> list[tuple[str, str]]:
    """(file, where) of every finding under root."""
    return [(f.file, f.where) for f in scan_tree(root, needles(items))]


def _text_found(tmp_path: Path, text: str, items: list[Sensitive]) -> bool:
    """Whether a TSV file holding `text` is refused."""
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    (folder / "x.tsv").write_text(f"onset\tlabel\n1.0\t{text}\n", encoding="utf-8")
    return bool(_found(folder, items))


@pytest.mark.parametrize(
    "spelling",
    [
        "FirstnameLastname",
        "firstname_lastname",
        "Firstname-Lastname",
        "firstname.lastname",
        "FIRSTNAMELASTNAME",
        "task-FirstnameLastname_emg",
        "by Lastname",
        "cue_LastnameFirstname",
    ],
)
def test_a_name_is_found_however_its_words_are_joined(tmp_path: Path, spelling: str) -> None:
    assert _text_found(tmp_path, spelling, OPERATOR)


@pytest.mark.parametrize("text", ["Lastnames", "Firstnamelastnamer", "Firstnamed", "unlastnamed"])
def test_a_name_inside_a_longer_word_is_not_a_finding(tmp_path: Path, text: str) -> None:
    assert not _text_found(tmp_path, text, OPERATOR)


@pytest.mark.parametrize(
    "spelling",
    ["079 555 01 99", "0795550199", "+41 79 555 01 99", "0041 79 555 01 99", "079-555-01-99"],
)
def test_a_phone_number_is_found_in_local_and_international_form(
    tmp_path: Path, spelling: str
) -> None:
    assert _text_found(tmp_path, f"call {spelling} later", PHONE)


def test_a_number_stored_locally_is_found_written_internationally(tmp_path: Path) -> None:
    local = contact_items("079 555 01 99", "participant_identity.contact (participant 1)")
    assert _text_found(tmp_path, "+41 79 555 01 99", local)
    assert phone_cores("079 555 01 99") == ["795550199"]


@pytest.mark.parametrize("text", ["0.0795550199", "4179555019912345", "795550198", "12.5"])
def test_other_numbers_are_not_phone_findings(tmp_path: Path, text: str) -> None:
    assert not _text_found(tmp_path, text, PHONE)


@pytest.mark.parametrize("text", ["zoe.quill", "ZOE_QUILL wrote", "mail zoe.quill@example.org"])
def test_an_email_address_is_found_whole_and_by_its_local_part(tmp_path: Path, text: str) -> None:
    assert _text_found(tmp_path, text, MAIL)


@pytest.mark.parametrize(
    "spelling",
    ["20260305", "5.3.2026", "05-03-2026", "5 March 2026", "March 5, 2026", "2026_03_05"],
)
def test_a_date_is_found_in_common_spellings(tmp_path: Path, spelling: str) -> None:
    assert _text_found(tmp_path, f"seen {spelling}", DAY)


def test_file_and_folder_names_are_scanned(tmp_path: Path) -> None:
    folder = tmp_path / "export" / "Lastname_files"
    folder.mkdir(parents=True)
    (folder / "sub-01_task-FirstnameLastname_events.tsv").write_text("onset\n", encoding="utf-8")
    (tmp_path / "export" / "notes-0795550199.txt").write_text("nothing", encoding="utf-8")
    found = _found(tmp_path / "export", [*OPERATOR, *PHONE])
    assert ("Lastname_files", "folder name") in found
    assert ("Lastname_files/sub-01_task-FirstnameLastname_events.tsv", "file name") in found
    assert ("notes-0795550199.txt", "file name") in found


def test_task_labels_come_from_shipped_names_or_a_neutral_number(built: BuiltDb) -> None:
    from dataclasses import replace

    from microexp_tui.store.sessions import SessionStore

    with SessionStore.open(built.path) as store:
        records = store.list_sessions()
    names = ["six_emotions", "/home/op/Firstname Lastname.toml", None, "FirstnameLastname"]
    records = [replace(r, protocol=p) for r, p in zip(records, names, strict=True)]
    labels = task_labels(records, {"six_emotions": "sixemotions"})
    assert list(labels.values()) == ["sixemotions", "protocol01", "free", "protocol02"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_integer_columns_are_checked_for_phone_numbers_not_dates(
    tmp_path: Path, suffix: str
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, value in (("date", 20260305), ("phone", 795550199)):
        folder = tmp_path / name
        folder.mkdir()
        table = pa.table({"sample_index": pa.array([1, value, 3], pa.int64())})
        if suffix == ".csv":
            (folder / "samples.csv").write_text(
                "sample_index\n1\n" + f"{value}\n3\n", encoding="utf-8"
            )
        else:
            pq.write_table(table, folder / "samples.parquet")
    assert _found(tmp_path / "date", [*DAY, *PHONE]) == []
    kind = "CSV" if suffix == ".csv" else "Parquet"
    assert set(_found(tmp_path / "phone", [*DAY, *PHONE])) == {
        (f"samples{suffix}", f"{kind} column 'sample_index'")
    }


def test_a_name_that_is_also_a_word_does_not_match_the_exports_own_keys(tmp_path: Path) -> None:
    power = name_items("operator name", "Anna Power", "sessions.operator (session 1)")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "sub-01_emg.json").write_text('{"PowerLineFrequency": 50}', encoding="utf-8")
    assert _found(folder, power) == []
    (folder / "sub-01_task-PowerTest_emg.json").write_text("{}", encoding="utf-8")
    assert _found(folder, power) == [("sub-01_task-PowerTest_emg.json", "file name")]
