"""Anonymised dataset export: BIDS EMG (EDF+), Parquet or CSV, checked for identifying data.

`export_sessions` writes an export and returns an `ExportReport`; `verify` rechecks an
export against its SHA-256 manifest. Heavy dependencies (pyedflib, pyarrow) are imported
only by the writers that need them.
"""

from microexp_tui.export.manifest import VerifyReport, verify
from microexp_tui.export.runner import (
    FORMATS,
    ExportCancelled,
    ExportReport,
    IdentifyingDataError,
    ProgressCallback,
    export_sessions,
)

__all__ = [
    "FORMATS",
    "ExportCancelled",
    "ExportReport",
    "IdentifyingDataError",
    "ProgressCallback",
    "VerifyReport",
    "export_sessions",
    "verify",
]
