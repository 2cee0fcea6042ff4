-- Reverts 001_initial_schema: drops every object it created, dependents first.
-- No CASCADE and no IF EXISTS: if a later object (not from this revision) still depends on
-- one of these, or one of them is missing, the downgrade fails and is rolled back instead of
-- silently dropping or skipping something.

-- Tables, children before parents (dropping a table drops its indexes, constraints,
-- triggers and comments).
DROP TABLE extracted_entities;
DROP TABLE performance_metrics;
DROP TABLE call_transcripts;
DROP TABLE call_sessions;
DROP TABLE training_scenarios;

-- Enum types (no column uses them any more).
DROP TYPE speaker_enum;
DROP TYPE call_session_status_enum;
DROP TYPE difficulty_level_enum;
