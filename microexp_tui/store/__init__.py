"""SQLite session store: schema and migrations, sessions, sample chunks, hash-chained audit log.

Everything lives in one SQLite file in WAL mode, created 0600. Samples are stored as
little-endian int16 chunks of shape (samples, channels), one row per writer batch.
Identifying participant fields sit in `participant_identity`, away from every other table.
"""

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import (
    MISSING_COUNT,
    ArtifactRecord,
    Batch,
    GapRecord,
    MarkerRecord,
    PredictionRecord,
    PredictionRun,
)
from microexp_tui.domain.sessions import (
    FINAL_STATUSES,
    HANDEDNESS_VALUES,
    QUALITY_COUNTERS,
    SESSION_STATUSES,
    SEX_VALUES,
    Participant,
    ParticipantIdentity,
    SessionRecord,
)
from microexp_tui.store.database import (
    PAGE_SIZE_BYTES,
    StoreBusyError,
    StoreCorruptError,
    StoreFullError,
)
from microexp_tui.store.schema import SCHEMA_VERSION
from microexp_tui.store.sessions import SessionStore

__all__ = [
    "FINAL_STATUSES",
    "HANDEDNESS_VALUES",
    "MISSING_COUNT",
    "PAGE_SIZE_BYTES",
    "QUALITY_COUNTERS",
    "SCHEMA_VERSION",
    "SESSION_STATUSES",
    "SEX_VALUES",
    "ArtifactRecord",
    "Batch",
    "ChannelSpec",
    "GapRecord",
    "MarkerRecord",
    "Participant",
    "ParticipantIdentity",
    "PredictionRecord",
    "PredictionRun",
    "SessionRecord",
    "SessionStore",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreFullError",
]
