"""Settings: defaults, then the file, then MICROEXP_* variables; the README names exactly the
variables that work, each takes effect, and every value knows where it came from."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from microexp_tui import paths
from microexp_tui.errors import InputError
from microexp_tui.settings import (
    CONFIG_FILE_ENV,
    DEFAULT_SOURCE,
    PROGRAM_SOURCE,
    Settings,
    config_path,
    environment_variables,
    field_paths,
    load_settings,
    save_settings,
    validate,
)

README = Path(__file__).resolve().parents[2] / "README.md"
PATH_VARIABLES = {CONFIG_FILE_ENV, paths.DATA_DIR_ENV, paths.SEED_DIR_ENV}
NEW_VALUES: dict[str, tuple[str, object]] = {
    # field: (the variable's text, the value it must load as); all differ from the defaults
    "filters.mains_hz": ("60", 60.0),
    "filters.mains_harmonics": ("4", 4),
    "filters.bandpass_low_hz": ("25", 25.0),
    "filters.bandpass_high_hz": ("400", 400.0),
    "filters.envelope_cutoff_hz": ("8.5", 8.5),
    "checks.rest_s": ("2.5", 2.5),
    "checks.contraction_s": ("4", 4.0),
    "checks.calibration_rest_s": ("6", 6.0),
    "checks.mvc_s": ("1.5", 1.5),
    "checks.reuse_max_age_min": ("15", 15.0),
    "trials.baseline_s": ("[-0.5, 0]", (-0.5, 0.0)),
    "trials.window_s": ("[0, 2]", (0.0, 2.0)),
    "trials.bin_ms": ("50", 50.0),
    "trials.exclude_sd": ("3", 3.0),
    "data_dir": ("/srv/emg-lab", "/srv/emg-lab"),
    "default_protocol": ("six_emotions", "six_emotions"),
    "response_lead_s": ("0.5", 0.5),
    "response_after_s": ("2", 2.0),
    "protocol_seed": ("42", 42),
    "default_montage": ("core4", "core4"),
    "model": ("lstm_window", "lstm_window"),
    "operator": ("Ana Silva", "Ana Silva"),
    "open_media": ("false", False),
    "trace_window_s": ("10", 10.0),
    "refresh_hz": ("25", 25.0),
}


def documented_variables() -> set[str]:
    """Every MICROEXP_* name the README mentions."""
    return set(re.findall(r"MICROEXP_[A-Z_]*[A-Z]", README.read_text(encoding="utf-8")))


def value_at(settings: Settings, field: str) -> object:
    """The loaded value of a dotted field."""
    value: object = settings
    for name in field.split("."):
        value = getattr(value, name)
    return value


def test_the_readme_documents_exactly_the_variables_that_work() -> None:
    assert set(NEW_VALUES) == set(field_paths()), "a new setting needs a value in this test"
    assert documented_variables() == set(environment_variables()) | PATH_VARIABLES


@pytest.mark.parametrize("variable", sorted(documented_variables() - PATH_VARIABLES))
def test_each_documented_settings_variable_takes_effect(tmp_path: Path, variable: str) -> None:
    field = environment_variables()[variable]
    text, expected = NEW_VALUES[field]
    before = load_settings(tmp_path / "absent.toml", {})
    after = load_settings(tmp_path / "absent.toml", {variable: text})
    assert value_at(before, field) != expected
    assert value_at(after, field) == expected
    assert after.source_of(field) == variable and before.source_of(field) == DEFAULT_SOURCE


def test_the_path_variables_move_what_they_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(paths.SEED_DIR_ENV, str(tmp_path / "seed"))
    config = tmp_path / "elsewhere" / "lab-settings.toml"
    monkeypatch.setenv(CONFIG_FILE_ENV, str(config))
    assert paths.data_dir() == tmp_path / "data"
    assert paths.database_path_in(paths.data_dir()) == tmp_path / "data" / paths.DATABASE_NAME
    assert paths.seed_dataset_dir() == tmp_path / "seed"
    assert config_path() == config
    assert save_settings(Settings(operator="Ana")) == config
    loaded = load_settings()
    assert loaded.operator == "Ana" and loaded.source_of("operator") == str(config)
    assert loaded.data_dir == str(tmp_path / "data"), "MICROEXP_DATA_DIR is also the setting"
    assert loaded.database_dir() == tmp_path / "data"


def test_the_environment_overrides_the_file_and_each_value_knows_its_source(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('operator = "Ana"\n[checks]\nrest_s = 3.0\nmvc_s = 2\n', encoding="utf-8")
    loaded = load_settings(path, {"MICROEXP_CHECKS_REST_S": "4", "microexp_refresh_hz": "12"})
    assert (loaded.checks.rest_s, loaded.checks.mvc_s, loaded.refresh_hz) == (4.0, 2.0, 12.0)
    assert loaded.source_of("checks.rest_s") == "MICROEXP_CHECKS_REST_S"
    assert loaded.source_of("refresh_hz") == "MICROEXP_REFRESH_HZ"
    assert loaded.source_of("checks.mvc_s") == str(path)
    assert loaded.source_of("operator") == str(path)
    assert loaded.source_of("trace_window_s") == DEFAULT_SOURCE
    assert Settings(operator="Bo").source_of("operator") == PROGRAM_SOURCE
    assert "sources" not in str(loaded.as_dict()), "provenance is not a setting"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"MICROEXP_CHECKS_REST_S": "500"}, "'MICROEXP_CHECKS_REST_S' must be at most 120"),
        ({"MICROEXP_REFRESH_HZ": "nan"}, "'MICROEXP_REFRESH_HZ' must be a finite number"),
        ({"MICROEXP_FILTERS_MAINS_HZ": "55"}, "'MICROEXP_FILTERS_MAINS_HZ' must be 50 or 60"),
        ({"MICROEXP_OPEN_MEDIA": "maybe"}, "'MICROEXP_OPEN_MEDIA' must be true or false"),
        ({"MICROEXP_CHECKS_RES_S": "2"}, "unknown variable 'MICROEXP_CHECKS_RES_S'"),
        (
            {"MICROEXP_FILTERS_BANDPASS_LOW_HZ": "500"},
            "'MICROEXP_FILTERS_BANDPASS_LOW_HZ' cannot be realised (band-pass high edge",
        ),
    ],
)
def test_a_bad_variable_is_refused_by_name(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_settings(tmp_path / "absent.toml", environ)
    message = str(caught.value)
    assert message.startswith("Settings from the environment: ") and expected in message


def test_a_variable_that_is_not_a_setting_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="microexp_tui.settings"):
        loaded = load_settings(tmp_path / "absent.toml", {"MICROEXP_MAINS_HZ": "60"})
    assert loaded.filters.mains_hz == 50.0
    assert "MICROEXP_MAINS_HZ is not a setting" in caplog.text
    assert "did you mean MICROEXP_FILTERS_MAINS_HZ?" in caplog.text


def test_settings_round_trip_through_the_file_with_quotes_and_backslashes(tmp_path: Path) -> None:
    settings = Settings(operator='Ana "A." \\ Silva', data_dir="C:\\lab\\data")
    settings.filters.mains_hz = 60.0
    path = save_settings(settings, tmp_path / "settings.toml")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_settings(path, {}).as_dict() == settings.as_dict()


def test_validate_refuses_a_changed_value_naming_it() -> None:
    settings = Settings()
    settings.checks.rest_s = 0.1
    with pytest.raises(InputError, match=r"setting 'checks\.rest_s' must be at least 0\.5"):
        validate(settings)
    settings.checks.rest_s = 2.0
    settings.operator = "two\nlines"
    with pytest.raises(InputError, match="setting 'operator' must be one line"):
        validate(settings)


def test_the_default_filters_are_realisable_so_their_check_may_be_skipped() -> None:
    from microexp_tui.dsp.filters import FilterSettings
    from microexp_tui.settings import VALIDATION_RATE_HZ, FilterPrefs

    defaults = FilterPrefs().model_dump()
    assert defaults == {name: f.default for name, f in FilterPrefs.model_fields.items()}
    built = FilterSettings(sample_rate_hz=VALIDATION_RATE_HZ, **defaults)
    assert built.bandpass_edges_hz == (20.0, 450.0)


def test_one_changed_filter_value_is_still_checked_against_the_others(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[filters]\nbandpass_low_hz = 460.0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'filters' cannot be realised .*low edge 460\.0 Hz"):
        load_settings(path, {})
