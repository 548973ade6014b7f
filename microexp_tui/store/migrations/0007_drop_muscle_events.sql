-- drop the per-channel muscle bursts (detected expressions replaced them)
DROP INDEX muscle_events_session;
DROP TABLE muscle_events;
