-- labelled events: a kind, an optional code, a free-text label and an optional condition
CREATE TABLE markers_new (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    sample_index INTEGER NOT NULL CHECK (sample_index >= 0),
    kind TEXT NOT NULL CHECK (kind IN ('stimulus', 'marker', 'trigger', 'external')),
    code INTEGER CHECK (code IS NULL OR code BETWEEN 0 AND 65535),
    source TEXT NOT NULL,
    label TEXT CHECK (label IS NULL OR length(label) BETWEEN 1 AND 128),
    condition TEXT CHECK (condition IS NULL OR length(condition) BETWEEN 1 AND 128),
    host_time_s REAL
);
-- Every event so far carries one of the product's codes (domain/markers.py, code_meaning):
-- 0x0101-0x0106 stimulus onsets (condition: the emotion), 0x0200 stimulus offset,
-- 0x0300 rest onset (condition 'rest'), 0x0400 trigger input, anything else a marker.
INSERT INTO markers_new (id, session_id, sample_index, kind, code, source, label, condition,
    host_time_s)
SELECT id, session_id, sample_index,
    CASE
        WHEN code BETWEEN 257 AND 262 OR code IN (512, 768) THEN 'stimulus'
        WHEN code = 1024 THEN 'trigger'
        ELSE 'marker'
    END,
    code, source, NULLIF(substr(label, 1, 128), ''),
    CASE code
        WHEN 257 THEN 'happy' WHEN 258 THEN 'surprise' WHEN 259 THEN 'disgust'
        WHEN 260 THEN 'sadness' WHEN 261 THEN 'fear' WHEN 262 THEN 'anger'
        WHEN 768 THEN 'rest'
    END,
    host_time_s
FROM markers;
DROP TABLE markers;
ALTER TABLE markers_new RENAME TO markers;
CREATE INDEX markers_session ON markers(session_id, sample_index);
