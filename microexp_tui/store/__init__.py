"""SQLite session store: numbered schema migrations, sessions, sample chunks, results, audit log.

Everything lives in one SQLite file in WAL mode, created 0600, reached through
`microexp_tui.store.sessions.SessionStore`. Samples are stored as chunks of shape
(samples, channels) in the session's sample format (int16 board counts, int32 or float32),
with an optional mask of missing values, one row per writer batch. Identifying participant
fields sit in `participant_identity`, away from every other table.
"""
