"""SQLite session store: schema, migrations, sessions, sample chunks, audit log."""
