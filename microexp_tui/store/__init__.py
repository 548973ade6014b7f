"""SQLite session store: numbered schema migrations, sessions, sample chunks, results, audit log.

Everything lives in one SQLite file in WAL mode, created 0600, reached through
`microexp_tui.store.sessions.SessionStore`. Samples are stored as little-endian int16
chunks of shape (samples, channels), one row per writer batch. Identifying participant
fields sit in `participant_identity`, away from every other table.
"""
