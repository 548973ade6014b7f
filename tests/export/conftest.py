"""Shared export fixtures: one planted database, one secret, one export per format."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.export import ExportReport, export_sessions
from tests.export.helpers import BuiltDb, build_db


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltDb:
    """Two participants with identity data, four sessions (one simulated, one with a gap)."""
    return build_db(tmp_path_factory.mktemp("db") / "sessions.sqlite")


@pytest.fixture(scope="session")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site secret created by the first export that uses it."""
    return tmp_path_factory.mktemp("site") / "export-secret.key"


def _export(built: BuiltDb, secret: Path, out: Path, fmt: str) -> ExportReport:
    """Export every session of the planted database."""
    return export_sessions(built.path, out, None, fmt, secret)


@pytest.fixture(scope="session")
def bids_export(
    built: BuiltDb, secret_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExportReport:
    """The planted database exported as BIDS."""
    return _export(built, secret_file, tmp_path_factory.mktemp("bids") / "dataset", "bids")


@pytest.fixture(scope="session")
def parquet_export(
    built: BuiltDb, secret_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExportReport:
    """The planted database exported as Parquet."""
    return _export(built, secret_file, tmp_path_factory.mktemp("pq") / "tables", "parquet")


@pytest.fixture(scope="session")
def csv_export(
    built: BuiltDb, secret_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExportReport:
    """The planted database exported as CSV."""
    return _export(built, secret_file, tmp_path_factory.mktemp("csv") / "tables", "csv")
