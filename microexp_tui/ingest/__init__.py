"""Recordings from other systems (BIDS-EMG datasets, EDF/BDF files) imported as sessions."""

from microexp_tui.ingest.runner import ImportedSession, ImportReport, import_path

__all__ = ["ImportReport", "ImportedSession", "import_path"]
