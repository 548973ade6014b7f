"""BIDS dataset metadata and EMG channel columns: the validator's warnings, the files, mne-bids."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import mne_bids
import pytest

from microexp_tui.export import ExportReport, export_sessions, verify
from tests.export.helpers import OPERATOR, RATE_HZ, BuiltDb, validate_bids, validator_errors

LAB_TEMPLATE = """
name = "Facial EMG of posed and felt emotions"
authors = ["Henrietta Vasquez-Lund", "Ada Okonkwo-Brandt", "Tomasz Wierzbicki"]
license = "CC-BY-4.0"
funding = ["Imaginary Research Council, grant IRC-2026-0042"]
ethics_approvals = ["Faculty ethics board, approval FEB-2026-117"]
how_to_acknowledge = "Cite the dataset's data paper."
references_and_links = ["https://example.org/facial-emg-study"]
readme = '''
Twelve adults watched emotional film clips while eight facial muscles were recorded.
Electrodes followed the facial EMG guidelines of the lab's standard operating procedure.
'''
instructions = "Watch each clip and let your face react naturally."
device_serial_number = "MEGA-2560-0007"

[[source_datasets]]
url = "https://example.org/stimulus-set"
version = "2.1"

[institution]
name = "Example University"
address = "1 Example Road, Exampleton, Exampleland"
department = "Department of Psychology"

[electrodes]
manufacturer = "Example Electrodes Ltd"
model_name = "EX-4mm"
material = "Ag/AgCl"
interelectrode_distance_mm = 10.0
group = "face_left"
ground = "Mastoid behind the left ear, one per sensor module."

[stimulus_presentation]
operating_system = "Linux Debian 13"
screen_distance_m = 0.6
"""
METADATA_CODES = ("NO_AUTHORS", "TOO_FEW_AUTHORS", "SIDECAR_KEY_RECOMMENDED")
"""Validator warnings the export must not raise (any sub-code)."""
DESCRIPTION_KEYS = ("License", "HEDVersion", "SourceDatasets", "Authors")
"""JSON_KEY_RECOMMENDED sub-codes the export must not raise."""
EMG_COLUMNS = (
    "signal_electrode",
    "reference",
    "group",
    "target_muscle",
    "placement_scheme",
    "placement_description",
    "interelectrode_distance",
)


@pytest.fixture(scope="module")
def lab_export(
    built: BuiltDb, secret_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExportReport:
    """The planted database exported as BIDS with a lab's dataset template."""
    folder = tmp_path_factory.mktemp("lab")
    template = folder / "our_lab.toml"
    template.write_text(LAB_TEMPLATE, encoding="utf-8")
    return export_sessions(
        built.path, folder / "dataset", None, "bids", secret_file, dataset_template=template
    )


@pytest.fixture(scope="module")
def minimal_export(
    built: BuiltDb, secret_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExportReport:
    """One session exported with a template that gives only name, authors and licence."""
    folder = tmp_path_factory.mktemp("minimal")
    template = folder / "minimal.toml"
    template.write_text(
        'name = "Pilot"\nauthors = ["Ada Okonkwo-Brandt", "Tomasz Wierzbicki"]\n'
        'license = "CC0-1.0"\n',
        encoding="utf-8",
    )
    return export_sessions(
        built.path,
        folder / "dataset",
        [built.session_ids[0]],
        "bids",
        secret_file,
        dataset_template=template,
    )


def _tsv(path: Path) -> list[dict[str, str]]:
    """A TSV file as dicts."""
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _metadata_warnings(result: dict[str, Any]) -> list[str]:
    """Validator warnings about dataset metadata and recommended sidecar keys."""
    found = []
    for issue in result["issues"]["issues"]:
        code, sub = issue["code"], issue.get("subCode")
        if code in METADATA_CODES or (code == "JSON_KEY_RECOMMENDED" and sub in DESCRIPTION_KEYS):
            found.append(f"{code} {sub} {issue.get('location')}")
    return found


@pytest.mark.parametrize("fixture", ["lab_export", "bids_export", "minimal_export"])
def test_the_validator_finds_no_error_and_no_metadata_warning(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    report: ExportReport = request.getfixturevalue(fixture)
    result = validate_bids(report.out_dir)
    assert validator_errors(result) == []
    assert _metadata_warnings(result) == []


def test_dataset_description_carries_the_templates_people_and_terms(
    lab_export: ExportReport,
) -> None:
    described = json.loads((lab_export.out_dir / "dataset_description.json").read_text())
    assert described["Authors"] == [
        "Henrietta Vasquez-Lund",
        "Ada Okonkwo-Brandt",
        "Tomasz Wierzbicki",
    ]
    assert described["License"] == "CC-BY-4.0"
    assert described["Funding"] == ["Imaginary Research Council, grant IRC-2026-0042"]
    assert described["EthicsApprovals"] == ["Faculty ethics board, approval FEB-2026-117"]
    assert described["Name"] == "Facial EMG of posed and felt emotions"
    assert described["SourceDatasets"] == [
        {"URL": "https://example.org/stimulus-set", "Version": "2.1"}
    ]
    assert "Acknowledgements" not in described, "a field the template leaves out stays out"
    readme = (lab_export.out_dir / "README.md").read_text()
    about = readme.index("## About this dataset")
    assert readme.index("Twelve adults watched emotional film clips") > about
    assert about < readme.index("## Anonymisation")


def test_an_operator_named_as_author_passes_the_identifying_data_scan(
    lab_export: ExportReport,
) -> None:
    assert OPERATOR.endswith("Henrietta Vasquez-Lund"), "the planted operator is an author"
    described = (lab_export.out_dir / "dataset_description.json").read_text()
    assert "Henrietta Vasquez-Lund" in described
    assert verify(lab_export.out_dir).ok
    assert not any("placeholders" in warning for warning in lab_export.warnings)


def test_channels_have_the_recommended_emg_columns(lab_export: ExportReport) -> None:
    paths = list(lab_export.out_dir.rglob("*_channels.tsv"))
    assert len(paths) == 4
    for path in paths:
        rows = _tsv(path)
        assert set(EMG_COLUMNS) <= set(rows[0])
        for row in rows:
            assert row["signal_electrode"] == row["name"]
            assert row["reference"] == "bipolar"
            assert row["group"] == "face_left"
            assert row["placement_scheme"] == "other"
            assert float(row["interelectrode_distance"]) == 10.0
            assert row["target_muscle"] in row["placement_description"]


def test_without_a_distance_in_the_template_the_distance_is_not_invented(
    bids_export: ExportReport,
) -> None:
    rows = _tsv(next(bids_export.out_dir.rglob("*_channels.tsv")))
    assert {row["interelectrode_distance"] for row in rows} == {"n/a"}
    assert {row["group"] for row in rows} == {"face"}


def test_emg_sidecar_has_the_labs_setup_and_a_bipolar_reference(lab_export: ExportReport) -> None:
    raw = (p for p in lab_export.out_dir.rglob("*_emg.json") if "derivatives" not in p.parts)
    sidecar = json.loads(next(raw).read_text())
    assert sidecar["EMGReference"] == "Bipolar"
    assert sidecar["EMGGround"] == "Mastoid behind the left ear, one per sensor module."
    assert sidecar["InstitutionName"] == "Example University"
    assert sidecar["InstitutionalDepartmentName"] == "Department of Psychology"
    assert sidecar["ElectrodeManufacturer"] == "Example Electrodes Ltd"
    assert sidecar["ElectrodeMaterial"] == "Ag/AgCl"
    assert sidecar["Instructions"] == "Watch each clip and let your face react naturally."
    assert sidecar["DeviceSerialNumber"] == "MEGA-2560-0007"


def test_events_sidecar_names_the_software_and_screen(lab_export: ExportReport) -> None:
    sidecar = json.loads(next(lab_export.out_dir.rglob("*_events.json")).read_text())
    shown = sidecar["StimulusPresentation"]
    assert shown["SoftwareName"] == "microexp-tui"
    assert shown["OperatingSystem"] == "Linux Debian 13"
    assert shown["ScreenDistance"] == 0.6


def test_the_default_template_makes_a_valid_dataset_and_says_it_holds_placeholders(
    bids_export: ExportReport,
) -> None:
    described = json.loads((bids_export.out_dir / "dataset_description.json").read_text())
    assert len(described["Authors"]) >= 2 and described["License"]
    assert described["SourceDatasets"] == [{"URL": "n/a"}]
    (warning,) = [w for w in bids_export.warnings if "placeholders" in w]
    assert "authors" in warning and "--dataset-template" in warning


def test_mne_bids_reads_every_session_with_emg_channel_types(lab_export: ExportReport) -> None:
    paths = mne_bids.find_matching_paths(lab_export.out_dir, datatypes="emg", extensions=".edf")
    assert len(paths) == len(lab_export.sessions)
    for bids_path in paths:
        raw = mne_bids.read_raw_bids(bids_path, verbose="error")
        channels = _tsv(Path(str(bids_path.fpath).replace("_emg.edf", "_channels.tsv")))
        assert raw.ch_names == [row["name"] for row in channels]
        assert set(raw.get_channel_types()) == {"emg"}
        assert raw.info["sfreq"] == RATE_HZ
        assert any(d.startswith("stimulus") for d in raw.annotations.description)
