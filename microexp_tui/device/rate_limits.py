"""Sample rates a board may declare, apart from the codec: settings read them without numpy."""

from __future__ import annotations

MIN_RATE_HZ = 250
MAX_RATE_HZ = 2000
