-- The baseline of the revisions through 003_scenario_history: written by `migrate squash --through 003` and
-- proven equal to them (schema, rows and sequences) in scratch databases. Do not edit.

SET LOCAL search_path = public;
ALTER TABLE public.call_sessions DROP CONSTRAINT call_sessions_scenario_id_fkey;
ALTER TABLE public.call_transcripts DROP CONSTRAINT call_transcripts_session_id_fkey;
ALTER TABLE public.extracted_entities DROP CONSTRAINT extracted_entities_transcript_id_fkey;
ALTER TABLE public.performance_metrics DROP CONSTRAINT performance_metrics_session_id_fkey;
-- DESTRUCTIVE: table public.call_sessions: drops the table and every row in it
DROP TABLE public.call_sessions;
-- DESTRUCTIVE: table public.call_transcripts: drops the table and every row in it
DROP TABLE public.call_transcripts;
-- DESTRUCTIVE: table public.extracted_entities: drops the table and every row in it
DROP TABLE public.extracted_entities;
-- DESTRUCTIVE: table public.performance_metrics: drops the table and every row in it
DROP TABLE public.performance_metrics;
-- DESTRUCTIVE: table public.training_scenarios: drops the table and every row in it
DROP TABLE public.training_scenarios;
DROP FUNCTION public.call_sessions_copy_scenario_name();
DROP FUNCTION public.training_scenarios_touch_updated_at();
-- DESTRUCTIVE: enum type public.call_session_status_enum: drops the type; columns of this type must be gone first
DROP TYPE public.call_session_status_enum;
-- DESTRUCTIVE: enum type public.difficulty_level_enum: drops the type; columns of this type must be gone first
DROP TYPE public.difficulty_level_enum;
-- DESTRUCTIVE: enum type public.speaker_enum: drops the type; columns of this type must be gone first
DROP TYPE public.speaker_enum;
