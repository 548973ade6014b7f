-- test participants: the one participant headless `record` uses when no --participant is
-- given is flagged, so screens mark it and exports leave it out unless asked. Existing
-- participants stay unflagged (0): the migration cannot tell a real one from a test one.
ALTER TABLE participants ADD COLUMN is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1));
