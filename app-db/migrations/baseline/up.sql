-- The baseline of the revisions through 003_scenario_history: written by `migrate squash --through 003` and
-- proven equal to them (schema, rows and sequences) in scratch databases. Do not edit.
--   creates enum type public.call_session_status_enum
--   creates enum type public.difficulty_level_enum
--   creates enum type public.speaker_enum
--   creates function public.call_sessions_copy_scenario_name()
--   creates function public.training_scenarios_touch_updated_at()
--   creates table public.call_sessions
--   creates table public.call_transcripts
--   creates table public.extracted_entities
--   creates table public.performance_metrics
--   creates table public.training_scenarios
--   creates constraint call_sessions_duration_ms_non_negative on public.call_sessions
--   creates constraint call_sessions_ended_after_started on public.call_sessions
--   creates constraint call_sessions_metadata_is_object on public.call_sessions
--   creates constraint call_sessions_operator_id_not_blank on public.call_sessions
--   creates constraint call_sessions_pkey on public.call_sessions
--   creates constraint call_transcripts_confidence_score_range on public.call_transcripts
--   creates constraint call_transcripts_pkey on public.call_transcripts
--   creates constraint call_transcripts_timestamp_ms_non_negative on public.call_transcripts
--   creates constraint extracted_entities_char_range on public.extracted_entities
--   creates constraint extracted_entities_confidence_score_range on public.extracted_entities
--   creates constraint extracted_entities_entity_type_not_blank on public.extracted_entities
--   creates constraint extracted_entities_metadata_is_object on public.extracted_entities
--   creates constraint extracted_entities_pkey on public.extracted_entities
--   creates constraint performance_metrics_metric_name_not_blank on public.performance_metrics
--   creates constraint performance_metrics_pkey on public.performance_metrics
--   creates constraint training_scenarios_caller_profile_is_object on public.training_scenarios
--   creates constraint training_scenarios_name_key on public.training_scenarios
--   creates constraint training_scenarios_name_not_blank on public.training_scenarios
--   creates constraint training_scenarios_pkey on public.training_scenarios
--   creates constraint training_scenarios_scenario_script_is_object on public.training_scenarios
--   creates index public.call_sessions_active_started_at_idx
--   creates index public.call_sessions_operator_id_started_at_idx
--   creates index public.call_sessions_scenario_id_status_idx
--   creates index public.call_transcripts_session_id_timestamp_ms_idx
--   creates index public.extracted_entities_transcript_id_entity_type_idx
--   creates index public.performance_metrics_metric_name_measured_at_idx
--   creates index public.performance_metrics_session_id_metric_name_idx
--   creates index public.training_scenarios_active_difficulty_idx
--   creates constraint call_sessions_scenario_id_fkey on public.call_sessions
--   creates constraint call_transcripts_session_id_fkey on public.call_transcripts
--   creates constraint extracted_entities_transcript_id_fkey on public.extracted_entities
--   creates constraint performance_metrics_session_id_fkey on public.performance_metrics
--   creates trigger call_sessions_copy_scenario_name on public.call_sessions
--   creates trigger training_scenarios_touch_updated_at on public.training_scenarios
--   rows: public.training_scenarios (5)
--   set when the revisions run, not compared (left to their defaults): public.training_scenarios.created_at, public.training_scenarios.updated_at

SET LOCAL search_path = public;
SET LOCAL check_function_bodies = false;

CREATE TYPE public.call_session_status_enum AS ENUM ('active', 'completed', 'terminated', 'error');
COMMENT ON TYPE public.call_session_status_enum IS 'Lifecycle of a training call: active (in progress), completed (ended normally), terminated (ended early by the operator or an instructor), error (aborted by a failure).';
CREATE TYPE public.difficulty_level_enum AS ENUM ('easy', 'medium', 'hard');
COMMENT ON TYPE public.difficulty_level_enum IS 'How hard a training scenario is for the operator: easy, medium or hard.';
CREATE TYPE public.speaker_enum AS ENUM ('operator', 'caller');
COMMENT ON TYPE public.speaker_enum IS 'Who spoke a transcript line: the operator in training, or the (simulated) caller.';
CREATE OR REPLACE FUNCTION public.call_sessions_copy_scenario_name()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    found_name text;
BEGIN
    IF NEW.scenario_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.scenario_id IS DISTINCT FROM OLD.scenario_id) THEN
        SELECT s.name INTO found_name FROM training_scenarios AS s WHERE s.id = NEW.scenario_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'training scenario % does not exist', NEW.scenario_id
                USING ERRCODE = 'foreign_key_violation',
                      TABLE = 'call_sessions',
                      COLUMN = 'scenario_id',
                      CONSTRAINT = 'call_sessions_scenario_id_fkey';
        END IF;
        NEW.scenario_name := found_name;
    END IF;
    RETURN NEW;
END;
$function$;
COMMENT ON FUNCTION public.call_sessions_copy_scenario_name() IS 'Trigger function: copies training_scenarios.name into call_sessions.scenario_name when a session is inserted with, or updated to, a scenario_id; raises foreign_key_violation for an unknown scenario.';
CREATE OR REPLACE FUNCTION public.training_scenarios_touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$function$;
COMMENT ON FUNCTION public.training_scenarios_touch_updated_at() IS 'Trigger function: sets training_scenarios.updated_at to the current transaction time on UPDATE.';
CREATE TABLE public.call_sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    operator_id text NOT NULL,
    scenario_id uuid,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    ended_at timestamp with time zone,
    duration_ms bigint,
    status call_session_status_enum DEFAULT 'active'::call_session_status_enum NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    scenario_name text NOT NULL
);
COMMENT ON TABLE public.call_sessions IS 'One training call: which operator took it, on which scenario, when, how long, and how it ended. Owns its transcript lines and performance metrics (ON DELETE CASCADE). From revision 003 on it survives the deletion of its scenario (scenario_id becomes NULL, scenario_name keeps the name).';
COMMENT ON COLUMN public.call_sessions.id IS 'Primary key (UUID, generated by the server).';
COMMENT ON COLUMN public.call_sessions.operator_id IS 'Identifier of the operator (trainee) who took the call, as given by the application.';
COMMENT ON COLUMN public.call_sessions.scenario_id IS 'The training scenario played (FK to training_scenarios.id, ON DELETE SET NULL): NULL once the scenario has been deleted; scenario_name still names it.';
COMMENT ON COLUMN public.call_sessions.started_at IS 'When the call started (defaults to now()).';
COMMENT ON COLUMN public.call_sessions.ended_at IS 'When the call ended; NULL while it is still active. Never before started_at.';
COMMENT ON COLUMN public.call_sessions.duration_ms IS 'Length of the call in milliseconds (>= 0), set when the call ends; NULL while active.';
COMMENT ON COLUMN public.call_sessions.status IS 'Lifecycle state (call_session_status_enum), ''active'' until the session is ended.';
COMMENT ON COLUMN public.call_sessions.metadata IS 'Free-form JSON object with session details (client version, interactive or scripted, instructor notes, ...); defaults to {}.';
COMMENT ON COLUMN public.call_sessions.scenario_name IS 'Copy of training_scenarios.name taken when the session was linked to its scenario (filled by trigger call_sessions_copy_scenario_name on INSERT and whenever scenario_id changes to a scenario), so reports can name the scenario even after it was deleted.';
CREATE TABLE public.call_transcripts (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    session_id uuid NOT NULL,
    timestamp_ms bigint NOT NULL,
    speaker speaker_enum NOT NULL,
    text text NOT NULL,
    audio_url text,
    emotional_state text,
    confidence_score double precision
);
COMMENT ON TABLE public.call_transcripts IS 'The dialogue of a call, one row per utterance of the operator or the caller, with its offset in the call and emotional analysis. Deleted with its session (ON DELETE CASCADE).';
COMMENT ON COLUMN public.call_transcripts.id IS 'Primary key (UUID, generated by the server).';
COMMENT ON COLUMN public.call_transcripts.session_id IS 'The call this line belongs to (FK to call_sessions.id, ON DELETE CASCADE).';
COMMENT ON COLUMN public.call_transcripts.timestamp_ms IS 'When the line was spoken, in milliseconds since the start of the call (>= 0); orders the transcript.';
COMMENT ON COLUMN public.call_transcripts.speaker IS 'Who spoke the line (speaker_enum: operator or caller).';
COMMENT ON COLUMN public.call_transcripts.text IS 'What was said (transcribed or scripted text).';
COMMENT ON COLUMN public.call_transcripts.audio_url IS 'Location of the recorded or synthesised audio of the line, if any.';
COMMENT ON COLUMN public.call_transcripts.emotional_state IS 'Detected or scripted emotional state of the speaker on this line (e.g. fearful, panicked, calm), if known.';
COMMENT ON COLUMN public.call_transcripts.confidence_score IS 'Confidence of the transcription / emotion analysis, between 0 and 1; NULL when not measured.';
CREATE TABLE public.extracted_entities (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    transcript_id uuid NOT NULL,
    entity_type text NOT NULL,
    entity_value text NOT NULL,
    confidence_score double precision,
    start_char integer NOT NULL,
    end_char integer NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL
);
COMMENT ON TABLE public.extracted_entities IS 'Named entities found in a transcript line (WEAPON, INJURY, LOCATION, PERSON, VEHICLE, MEDICAL_CONDITION, HAZARD, ...), with their character span and confidence. Deleted with their transcript line (ON DELETE CASCADE).';
COMMENT ON COLUMN public.extracted_entities.id IS 'Primary key (UUID, generated by the server).';
COMMENT ON COLUMN public.extracted_entities.transcript_id IS 'The transcript line the entity was found in (FK to call_transcripts.id, ON DELETE CASCADE).';
COMMENT ON COLUMN public.extracted_entities.entity_type IS 'Kind of entity, upper case: WEAPON, INJURY, LOCATION, PERSON, VEHICLE, MEDICAL_CONDITION, HAZARD, ...';
COMMENT ON COLUMN public.extracted_entities.entity_value IS 'The entity as found in the text (e.g. ''knife'', ''1432 Maple Street'').';
COMMENT ON COLUMN public.extracted_entities.confidence_score IS 'Extractor confidence between 0 and 1; NULL when the extractor gives none.';
COMMENT ON COLUMN public.extracted_entities.start_char IS 'Start of the entity in call_transcripts.text, in characters from 0 (inclusive).';
COMMENT ON COLUMN public.extracted_entities.end_char IS 'End of the entity in call_transcripts.text, in characters (exclusive); >= start_char.';
COMMENT ON COLUMN public.extracted_entities.metadata IS 'Free-form JSON object with extractor details (rule or model that matched, normalised value, ...); defaults to {}.';
CREATE TABLE public.performance_metrics (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    session_id uuid NOT NULL,
    metric_name text NOT NULL,
    metric_value double precision NOT NULL,
    measured_at timestamp with time zone DEFAULT now() NOT NULL
);
COMMENT ON TABLE public.performance_metrics IS 'Operator performance measurements of a call (e.g. time to first key question, key questions covered, entities captured). Deleted with their session (ON DELETE CASCADE).';
COMMENT ON COLUMN public.performance_metrics.id IS 'Primary key (UUID, generated by the server).';
COMMENT ON COLUMN public.performance_metrics.session_id IS 'The call measured (FK to call_sessions.id, ON DELETE CASCADE).';
COMMENT ON COLUMN public.performance_metrics.metric_name IS 'Name of the metric, e.g. ''time_to_first_key_question_ms'', ''key_questions_covered''.';
COMMENT ON COLUMN public.performance_metrics.metric_value IS 'Value of the metric; its unit is implied by metric_name.';
COMMENT ON COLUMN public.performance_metrics.measured_at IS 'When the metric was recorded (defaults to now()).';
CREATE TABLE public.training_scenarios (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    caller_profile jsonb NOT NULL,
    scenario_script jsonb NOT NULL,
    difficulty_level difficulty_level_enum NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
COMMENT ON TABLE public.training_scenarios IS 'Pre-configured training scenarios: who the simulated caller is (caller_profile) and how the call is expected to go (scenario_script), with a difficulty level. Seeded by revision 002 with five scenarios; format of the JSON documents: docs/scenario-format.md.';
COMMENT ON COLUMN public.training_scenarios.id IS 'Primary key (UUID, generated by the server unless given; the seed scenarios have fixed ids).';
COMMENT ON COLUMN public.training_scenarios.name IS 'Unique, human-readable scenario name, e.g. ''Burglary in Progress''; `simulator --scenario NAME` selects by it.';
COMMENT ON COLUMN public.training_scenarios.description IS 'What the scenario trains and what makes it difficult, for instructors and the scenario list.';
COMMENT ON COLUMN public.training_scenarios.caller_profile IS 'JSON object describing the simulated caller: name, age, emotional_state, background, personality, speech_traits (docs/scenario-format.md).';
COMMENT ON COLUMN public.training_scenarios.scenario_script IS 'JSON object describing the call: initial_conditions, key_entities, key_questions, dialogue and expected_outcome (docs/scenario-format.md).';
COMMENT ON COLUMN public.training_scenarios.difficulty_level IS 'Difficulty of the scenario (difficulty_level_enum: easy, medium, hard).';
COMMENT ON COLUMN public.training_scenarios.is_active IS 'Whether the scenario is offered to trainees; retire a scenario by setting false instead of deleting it.';
COMMENT ON COLUMN public.training_scenarios.created_at IS 'When the scenario row was created (rows older than revision 003: when 003 ran).';
COMMENT ON COLUMN public.training_scenarios.updated_at IS 'When the scenario row was last changed; set to now() by trigger training_scenarios_touch_updated_at on every UPDATE.';
ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_duration_ms_non_negative CHECK (((duration_ms IS NULL) OR (duration_ms >= 0)));
ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_ended_after_started CHECK (((ended_at IS NULL) OR (ended_at >= started_at)));
ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text));
ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_operator_id_not_blank CHECK ((btrim(operator_id) <> ''::text));
ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_pkey PRIMARY KEY (id);
ALTER TABLE public.call_transcripts ADD CONSTRAINT call_transcripts_confidence_score_range CHECK (((confidence_score >= (0)::double precision) AND (confidence_score <= (1)::double precision)));
ALTER TABLE public.call_transcripts ADD CONSTRAINT call_transcripts_pkey PRIMARY KEY (id);
ALTER TABLE public.call_transcripts ADD CONSTRAINT call_transcripts_timestamp_ms_non_negative CHECK ((timestamp_ms >= 0));
ALTER TABLE public.extracted_entities ADD CONSTRAINT extracted_entities_char_range CHECK (((0 <= start_char) AND (start_char <= end_char)));
ALTER TABLE public.extracted_entities ADD CONSTRAINT extracted_entities_confidence_score_range CHECK (((confidence_score >= (0)::double precision) AND (confidence_score <= (1)::double precision)));
ALTER TABLE public.extracted_entities ADD CONSTRAINT extracted_entities_entity_type_not_blank CHECK ((btrim(entity_type) <> ''::text));
ALTER TABLE public.extracted_entities ADD CONSTRAINT extracted_entities_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text));
ALTER TABLE public.extracted_entities ADD CONSTRAINT extracted_entities_pkey PRIMARY KEY (id);
ALTER TABLE public.performance_metrics ADD CONSTRAINT performance_metrics_metric_name_not_blank CHECK ((btrim(metric_name) <> ''::text));
ALTER TABLE public.performance_metrics ADD CONSTRAINT performance_metrics_pkey PRIMARY KEY (id);
ALTER TABLE public.training_scenarios ADD CONSTRAINT training_scenarios_caller_profile_is_object CHECK ((jsonb_typeof(caller_profile) = 'object'::text));
ALTER TABLE public.training_scenarios ADD CONSTRAINT training_scenarios_name_key UNIQUE (name);
ALTER TABLE public.training_scenarios ADD CONSTRAINT training_scenarios_name_not_blank CHECK ((btrim(name) <> ''::text));
ALTER TABLE public.training_scenarios ADD CONSTRAINT training_scenarios_pkey PRIMARY KEY (id);
ALTER TABLE public.training_scenarios ADD CONSTRAINT training_scenarios_scenario_script_is_object CHECK ((jsonb_typeof(scenario_script) = 'object'::text));
CREATE INDEX call_sessions_active_started_at_idx ON public.call_sessions USING btree (started_at) WHERE (status = 'active'::call_session_status_enum);
CREATE INDEX call_sessions_operator_id_started_at_idx ON public.call_sessions USING btree (operator_id, started_at DESC);
CREATE INDEX call_sessions_scenario_id_status_idx ON public.call_sessions USING btree (scenario_id, status);
CREATE INDEX call_transcripts_session_id_timestamp_ms_idx ON public.call_transcripts USING btree (session_id, timestamp_ms);
CREATE INDEX extracted_entities_transcript_id_entity_type_idx ON public.extracted_entities USING btree (transcript_id, entity_type);
CREATE INDEX performance_metrics_metric_name_measured_at_idx ON public.performance_metrics USING btree (metric_name, measured_at);
CREATE INDEX performance_metrics_session_id_metric_name_idx ON public.performance_metrics USING btree (session_id, metric_name);
CREATE INDEX training_scenarios_active_difficulty_idx ON public.training_scenarios USING btree (difficulty_level, name) WHERE is_active;
ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_scenario_id_fkey FOREIGN KEY (scenario_id) REFERENCES training_scenarios(id) ON DELETE SET NULL;
ALTER TABLE public.call_transcripts ADD CONSTRAINT call_transcripts_session_id_fkey FOREIGN KEY (session_id) REFERENCES call_sessions(id) ON DELETE CASCADE;
ALTER TABLE public.extracted_entities ADD CONSTRAINT extracted_entities_transcript_id_fkey FOREIGN KEY (transcript_id) REFERENCES call_transcripts(id) ON DELETE CASCADE;
ALTER TABLE public.performance_metrics ADD CONSTRAINT performance_metrics_session_id_fkey FOREIGN KEY (session_id) REFERENCES call_sessions(id) ON DELETE CASCADE;
CREATE TRIGGER call_sessions_copy_scenario_name BEFORE INSERT OR UPDATE OF scenario_id ON public.call_sessions FOR EACH ROW EXECUTE FUNCTION call_sessions_copy_scenario_name();
COMMENT ON TRIGGER call_sessions_copy_scenario_name ON public.call_sessions IS 'Keeps scenario_name equal to the linked scenario''s name at the time of linking.';
CREATE TRIGGER training_scenarios_touch_updated_at BEFORE UPDATE ON public.training_scenarios FOR EACH ROW EXECUTE FUNCTION training_scenarios_touch_updated_at();
COMMENT ON TRIGGER training_scenarios_touch_updated_at ON public.training_scenarios IS 'Keeps updated_at current on every UPDATE of a scenario.';

SET CONSTRAINTS ALL DEFERRED;
SET LOCAL xmloption = content;
ALTER TABLE public.training_scenarios DISABLE TRIGGER training_scenarios_touch_updated_at;
INSERT INTO public.training_scenarios (id, name, description, caller_profile, scenario_script, difficulty_level, is_active) VALUES
    ('5e083017-00a4-4bc8-a464-aeb864a059f4', 'Domestic Violence Call', 'A woman whispers from a locked bathroom that her drunk partner is threatening her with a knife while their two children sleep in the next room. The caller is fearful, gives short answers and can be overheard at any moment: the operator must get the address first, then ask careful, closed questions about the suspect, weapons, injuries and children, keep her behind a locked door and stay on the line until officers make contact.', '{"age": 34, "name": "Maria Lopez", "background": "Lives with her boyfriend Daniel Reyes and their two children (6 and 9) in a second-floor apartment. Police have been called to the address twice in the past year; both times she declined to press charges. Tonight he came home drunk after losing his job.", "personality": "Guarded and ashamed; answers in short sentences, minimises the danger at first (''it''s probably nothing'') and opens up once the operator sounds calm and in control.", "speech_traits": ["whispers", "hesitates before giving her name", "goes silent when she hears footsteps outside the door", "apologises for calling"], "emotional_state": "fearful"}', '{"dialogue": [{"text": "Please, I need help... he has a knife.", "speaker": "caller", "delay_ms": 0, "emotional_state": "fearful"}, {"text": "911, what is the address of your emergency?", "covers": ["location"], "speaker": "operator", "delay_ms": 1500}, {"text": "1432 Maple Street, apartment 3B. Please hurry, he''s right outside the door.", "speaker": "caller", "delay_ms": 2500, "emotional_state": "fearful"}, {"text": "I''m sending officers to 1432 Maple Street right now. What''s your name, and who is threatening you?", "covers": ["suspect"], "speaker": "operator", "delay_ms": 2000}, {"text": "Maria... Maria Lopez. It''s my boyfriend, Daniel Reyes. He''s been drinking all night and he took the big knife from the kitchen.", "speaker": "caller", "delay_ms": 3500, "emotional_state": "terrified"}, {"text": "Maria, does he have any other weapon besides the knife? Are there any guns in the apartment?", "covers": ["weapons"], "speaker": "operator", "delay_ms": 1800}, {"text": "No guns, just the knife. I''m in the bathroom. He''s banging on the door, he keeps saying he''ll break it.", "speaker": "caller", "delay_ms": 3000, "emotional_state": "terrified"}, {"text": "Are you hurt? Is anyone injured or bleeding?", "covers": ["injuries"], "speaker": "operator", "delay_ms": 1500}, {"text": "He cut my arm when I pushed him away. It''s bleeding, not a lot... I''m holding a towel on it.", "speaker": "caller", "delay_ms": 3000, "emotional_state": "in pain"}, {"text": "Keep pressing the towel on it. Are there any children or anyone else in the apartment?", "covers": ["children"], "speaker": "operator", "delay_ms": 1800}, {"text": "My kids, they''re six and nine, they''re asleep in the back bedroom. Oh God, if he wakes them up...", "speaker": "caller", "delay_ms": 2500, "emotional_state": "panicked"}, {"text": "Stay in the bathroom with the door locked, you''re safe there. Don''t open it for him, even if he calms down. Officers are two minutes away. Stay on the line with me.", "covers": ["safety"], "speaker": "operator", "delay_ms": 2000}, {"text": "Okay... okay. I hear sirens. He stopped banging, I think he''s going to the front door.", "speaker": "caller", "delay_ms": 6000, "emotional_state": "tense"}, {"text": "Those are our officers. Stay in the bathroom until they knock and tell you it''s the police. I''m staying on the line with you, Maria.", "covers": [], "speaker": "operator", "delay_ms": 2000}], "key_entities": [{"type": "LOCATION", "value": "1432 Maple Street"}, {"type": "WEAPON", "value": "knife"}, {"type": "PERSON", "value": "Maria Lopez"}, {"type": "PERSON", "value": "Daniel Reyes"}, {"type": "INJURY", "value": "bleeding"}, {"type": "HAZARD", "value": "drinking"}], "key_questions": [{"id": "location", "prompt": "What is the address of your emergency?", "keywords": ["address", "where"]}, {"id": "suspect", "prompt": "Who is threatening you?", "keywords": ["threatening", "who is"]}, {"id": "weapons", "prompt": "Does he have any weapons?", "keywords": ["weapon", "knife", "guns"]}, {"id": "injuries", "prompt": "Are you hurt? Is anyone injured or bleeding?", "keywords": ["hurt", "injured", "bleeding"]}, {"id": "children", "prompt": "Are there any children or anyone else in the home?", "keywords": ["children", "kids"]}, {"id": "safety", "prompt": "Can you stay somewhere safe with the door locked?", "keywords": ["safe", "locked"]}], "expected_outcome": "Police dispatched at the highest priority with EMS staged nearby; the caller stays locked in the bathroom on the line until officers detain Daniel Reyes; her arm wound is treated and the children are checked by officers.", "initial_conditions": {"hazards": ["suspect armed with a kitchen knife", "suspect intoxicated", "two children asleep in the back bedroom", "history of domestic calls at the address"], "summary": "A woman calls whispering from a locked bathroom: her partner, drunk, is banging on the door with a kitchen knife in his hand and has already cut her arm; two children are asleep in the back bedroom.", "location": "1432 Maple Street, apartment 3B", "time_of_day": "22:40"}}', 'medium', 'true'),
    ('bde5e112-af02-4dc3-a5ba-86f47159722f', 'Medical Emergency - Heart Attack', 'A wife screams that her husband clutched his chest and collapsed; he is unresponsive with agonal breathing. The caller is panicked and keeps asking whether he will die: the operator must get the address, confirm he is unconscious and not breathing normally, take control and coach hands-only CPR with firm, simple instructions, gather his cardiac history and arrange access for paramedics without letting her stop compressions.', '{"age": 58, "name": "Karen Whitfield", "background": "Her husband Robert, 63, has high blood pressure and had a coronary stent placed two years ago; he takes blood thinners. They live alone with their dog in a two-storey house; she has never done CPR.", "personality": "Talks fast and repeats herself, struggles to follow instructions until she is given one simple, firm step at a time; calms down and becomes steady once she has a task.", "speech_traits": ["shouts her husband''s name", "speaks in fragments", "asks ''is he going to die?''", "counts compressions out loud once coached"], "emotional_state": "panicked"}', '{"dialogue": [{"text": "Oh my God, help me! My husband just collapsed, he was holding his chest!", "speaker": "caller", "delay_ms": 0, "emotional_state": "panicked"}, {"text": "911, I''m here to help you. What is the address of your emergency?", "covers": ["location"], "speaker": "operator", "delay_ms": 1200}, {"text": "87 Birchwood Lane! Please hurry, he''s on the floor!", "speaker": "caller", "delay_ms": 1500, "emotional_state": "panicked"}, {"text": "Paramedics are on the way to 87 Birchwood Lane. Is he awake? Is he conscious, can he answer you?", "covers": ["conscious"], "speaker": "operator", "delay_ms": 1500}, {"text": "Robert! Robert! He''s not answering me! He said he had chest pain and then he just fell and hit his head on the coffee table!", "speaker": "caller", "delay_ms": 3000, "emotional_state": "hysterical"}, {"text": "Look at his chest. Is he breathing normally?", "covers": ["breathing"], "speaker": "operator", "delay_ms": 1500}, {"text": "He''s making this gasping sound... he''s not breathing, not really. Is he going to die?", "speaker": "caller", "delay_ms": 3500, "emotional_state": "hysterical"}, {"text": "Listen to me, I''m going to tell you how to do CPR. Get him flat on his back on the floor. Put the heel of your hand in the center of his chest and your other hand on top.", "covers": ["cpr"], "speaker": "operator", "delay_ms": 2000}, {"text": "Okay, okay, he''s on his back. My hands are on his chest.", "speaker": "caller", "delay_ms": 4000, "emotional_state": "panicked"}, {"text": "Push down hard and fast, two inches deep, twice a second. Count out loud with me: one, two, three, four. Don''t stop the compressions.", "covers": ["cpr"], "speaker": "operator", "delay_ms": 1500}, {"text": "One, two, three, four... I''m pushing! Oh God, he''s so gray.", "speaker": "caller", "delay_ms": 5000, "emotional_state": "frantic"}, {"text": "You''re doing great, don''t stop. Does he have heart problems or take any medication?", "covers": ["history"], "speaker": "operator", "delay_ms": 3000}, {"text": "He had a stent two years ago, he takes blood thinners... twenty-nine, thirty... I''m still going!", "speaker": "caller", "delay_ms": 3500, "emotional_state": "focused"}, {"text": "Keep going. Is the front door locked? Can anyone else unlock it for the paramedics?", "covers": ["access"], "speaker": "operator", "delay_ms": 4000}, {"text": "It''s locked and the dog is loose, I can''t leave him! Wait... I hear the siren!", "speaker": "caller", "delay_ms": 3000, "emotional_state": "overwhelmed"}, {"text": "Keep doing compressions, don''t leave him. When the paramedics knock, shout that the door is locked and the dog is loose; they will get in. Stay on the line with me until they take over.", "covers": ["cpr", "access"], "speaker": "operator", "delay_ms": 2000}], "key_entities": [{"type": "LOCATION", "value": "87 Birchwood Lane"}, {"type": "PERSON", "value": "Robert"}, {"type": "MEDICAL_CONDITION", "value": "chest pain"}, {"type": "MEDICAL_CONDITION", "value": "not breathing"}, {"type": "INJURY", "value": "hit his head"}, {"type": "HAZARD", "value": "dog"}], "key_questions": [{"id": "location", "prompt": "What is the address of your emergency?", "keywords": ["address", "where"]}, {"id": "conscious", "prompt": "Is he awake? Is he conscious?", "keywords": ["awake", "conscious"]}, {"id": "breathing", "prompt": "Is he breathing normally?", "keywords": ["breathing"]}, {"id": "cpr", "prompt": "I''m going to tell you how to do CPR.", "keywords": ["cpr", "compressions", "push"]}, {"id": "history", "prompt": "Does he have heart problems or take any medication?", "keywords": ["heart problems", "medication"]}, {"id": "access", "prompt": "Is the front door unlocked for the paramedics?", "keywords": ["door", "unlock"]}], "expected_outcome": "ALS ambulance and fire first responders dispatched immediately; continuous hands-only CPR from the second minute of the call until paramedics take over; crew warned about the locked door, the dog and the head injury; cardiac history passed to the crew.", "initial_conditions": {"hazards": ["patient unresponsive with agonal breathing", "patient hit his head when he fell", "front door locked", "family dog loose in the house"], "summary": "A wife calls screaming that her husband clutched his chest and collapsed in the living room; he is unresponsive and only gasping. Paramedics are eight minutes out and the caller must do CPR until they arrive.", "location": "87 Birchwood Lane", "time_of_day": "07:15"}}', 'hard', 'true'),
    ('5b8e0096-161b-4f6e-af5c-a0102a68f12e', 'Car Accident - Minor Injuries', 'A calm passing driver reports a low-speed rear-end collision at a city intersection: one driver has a small bleeding cut, the other a sore neck, and a car is leaking coolant into the lane. A straightforward call for practising the standard sequence: location, vehicles involved, injuries, hazards, then scene-safety instructions.', '{"age": 45, "name": "James Okafor", "background": "Parcel delivery driver who stopped his van after witnessing a collision on his route; first-aid trained through work and has reported accidents before.", "personality": "Composed and observant; gives precise details and follows instructions without being asked twice.", "speech_traits": ["reads street signs aloud", "uses exact numbers and colours", "speaks clearly and evenly"], "emotional_state": "calm"}', '{"dialogue": [{"text": "Hi, I''d like to report a car accident. Nobody seems badly hurt, but one of the drivers is bleeding a little.", "speaker": "caller", "delay_ms": 0, "emotional_state": "calm"}, {"text": "911, where is the accident? What is the address or the nearest intersection?", "covers": ["location"], "speaker": "operator", "delay_ms": 1500}, {"text": "It''s at the intersection of Elm Avenue and 5th Street, right by the Quick Stop gas station.", "speaker": "caller", "delay_ms": 2500, "emotional_state": "calm"}, {"text": "Thank you. How many vehicles are involved, and what kind are they?", "covers": ["vehicles"], "speaker": "operator", "delay_ms": 1500}, {"text": "Two. A silver Honda Civic rear-ended a blue Ford pickup at the red light. Both drivers are out of their cars.", "speaker": "caller", "delay_ms": 3000, "emotional_state": "calm"}, {"text": "Is anyone hurt? Tell me about any injuries you can see.", "covers": ["injuries"], "speaker": "operator", "delay_ms": 1500}, {"text": "The woman from the Civic, she said her name is Anna, has a cut on her forehead. It''s bleeding a bit but she''s talking and walking around. The pickup driver says his neck is sore.", "speaker": "caller", "delay_ms": 4000, "emotional_state": "concerned"}, {"text": "Is there any smoke, fire, or anything leaking from the cars?", "covers": ["hazards"], "speaker": "operator", "delay_ms": 1500}, {"text": "No smoke. There''s green fluid leaking under the Civic, probably coolant. They''re blocking part of the eastbound lane.", "speaker": "caller", "delay_ms": 3000, "emotional_state": "calm"}, {"text": "Okay. Please stay safe on the sidewalk, away from traffic, and don''t move the cars. Have Anna sit down and press a clean cloth on the cut.", "covers": ["safety"], "speaker": "operator", "delay_ms": 2000}, {"text": "Got it. She''s sitting on the curb now with a cloth on it, and the other driver is with her.", "speaker": "caller", "delay_ms": 4000, "emotional_state": "calm"}, {"text": "Police and an ambulance are on the way to Elm Avenue and 5th Street. Stay on the line until they arrive and tell me if anything changes.", "covers": [], "speaker": "operator", "delay_ms": 1500}], "key_entities": [{"type": "LOCATION", "value": "Elm Avenue and 5th Street"}, {"type": "VEHICLE", "value": "silver Honda Civic"}, {"type": "VEHICLE", "value": "blue Ford pickup"}, {"type": "PERSON", "value": "Anna"}, {"type": "INJURY", "value": "cut on her forehead"}, {"type": "HAZARD", "value": "leaking"}], "key_questions": [{"id": "location", "prompt": "Where is the accident? What is the address or nearest intersection?", "keywords": ["where", "address", "intersection"]}, {"id": "vehicles", "prompt": "How many vehicles are involved?", "keywords": ["vehicles"]}, {"id": "injuries", "prompt": "Is anyone hurt? What injuries can you see?", "keywords": ["hurt", "injured", "injuries"]}, {"id": "hazards", "prompt": "Is there any smoke, fire, or anything leaking?", "keywords": ["smoke", "fire", "leaking"]}, {"id": "safety", "prompt": "Please stay safe, away from traffic.", "keywords": ["safe"]}], "expected_outcome": "Police and a basic life support ambulance dispatched at normal priority; the witness keeps everyone on the sidewalk away from traffic; Anna''s cut is covered and the pickup driver is assessed for a neck injury on arrival.", "initial_conditions": {"hazards": ["vehicles partially blocking the eastbound lane", "coolant leaking onto the road", "rush-hour traffic"], "summary": "A passing driver reports that a silver Honda Civic rear-ended a blue Ford pickup at a red light; both drivers are out of their cars, one with a cut on her forehead, one with a sore neck.", "location": "Elm Avenue and 5th Street", "time_of_day": "17:20"}}', 'easy', 'true'),
    ('75588c5f-0f37-49d8-9da1-2af521c58324', 'Active Shooter Report', 'A hysterical store employee calls from a stockroom in a shopping mall: a man with a rifle is shooting in the food court and at least one person has been shot. The operator must cut through the panic with short, direct commands: location, number of shooters, weapon, description, victims; keep the caller hidden, locked in and silent, and prepare them for the arrival of armed officers.', '{"age": 22, "name": "Tyler Brooks", "background": "Part-time employee at Summit Sports in the Riverside Plaza mall; was on his lunch break in the food court when the shooting started, ran back to the store and is hiding in the stockroom with two coworkers.", "personality": "Overwhelmed and jumping between topics; guilt about the people he left behind makes him want to go back out. Becomes focused once given concrete tasks.", "speech_traits": ["sobs between sentences", "whispers, then suddenly raises his voice", "repeats ''they''re shooting''"], "emotional_state": "hysterical"}', '{"dialogue": [{"text": "They''re shooting! Someone''s shooting in the mall, oh my God, oh my God!", "speaker": "caller", "delay_ms": 0, "emotional_state": "hysterical"}, {"text": "911, tell me where you are. What is the address?", "covers": ["location"], "speaker": "operator", "delay_ms": 1000}, {"text": "Riverside Plaza! The mall at 2200 Commerce Drive! I''m in the back of Summit Sports, in the stockroom.", "speaker": "caller", "delay_ms": 2000, "emotional_state": "hysterical"}, {"text": "Officers are on the way to Riverside Plaza. Lock the stockroom door, turn off the lights, and put your phone on silent. Can you do that?", "covers": ["safety"], "speaker": "operator", "delay_ms": 1500}, {"text": "Okay... okay, it''s locked. There''s three of us in here. I can still hear gunshots, they''re so loud.", "speaker": "caller", "delay_ms": 4000, "emotional_state": "terrified"}, {"text": "How many shooters did you see, and what kind of weapon does he have?", "covers": ["shooters", "weapon"], "speaker": "operator", "delay_ms": 1500}, {"text": "Just one guy, I think. I saw him from the door... he has a rifle, a big black rifle.", "speaker": "caller", "delay_ms": 3000, "emotional_state": "terrified"}, {"text": "Can you describe him? What is he wearing?", "covers": ["description"], "speaker": "operator", "delay_ms": 1500}, {"text": "White guy, tall, black hoodie, camo pants... he walked into the food court and just started shooting.", "speaker": "caller", "delay_ms": 3500, "emotional_state": "sobbing"}, {"text": "Did you see anyone hurt or injured?", "covers": ["victims"], "speaker": "operator", "delay_ms": 1500}, {"text": "A man by the pretzel stand got shot in the leg, he was screaming, and I just ran. Oh God, I left him there.", "speaker": "caller", "delay_ms": 4000, "emotional_state": "distraught"}, {"text": "You did the right thing. Stay hidden, keep quiet, and do not open the door for anyone until officers identify themselves. What is your name?", "covers": ["safety"], "speaker": "operator", "delay_ms": 2000}, {"text": "Tyler. Tyler Brooks. I hear people yelling ''police'' out there.", "speaker": "caller", "delay_ms": 5000, "emotional_state": "terrified"}, {"text": "Tyler, don''t move. Officers are clearing the building. When they come in, keep your hands empty and visible and follow every command. Stay on the line with me.", "covers": [], "speaker": "operator", "delay_ms": 2000}], "key_entities": [{"type": "LOCATION", "value": "Riverside Plaza"}, {"type": "LOCATION", "value": "2200 Commerce Drive"}, {"type": "WEAPON", "value": "rifle"}, {"type": "INJURY", "value": "shot in the leg"}, {"type": "PERSON", "value": "Tyler Brooks"}, {"type": "HAZARD", "value": "gunshots"}], "key_questions": [{"id": "location", "prompt": "Where are you? What is the address?", "keywords": ["where", "address"]}, {"id": "safety", "prompt": "Lock the door, turn off the lights, stay quiet.", "keywords": ["lock", "silent", "quiet"]}, {"id": "shooters", "prompt": "How many shooters did you see?", "keywords": ["shooters", "more than one"]}, {"id": "weapon", "prompt": "What kind of weapon does he have?", "keywords": ["weapon", "rifle"]}, {"id": "description", "prompt": "Can you describe him? What is he wearing?", "keywords": ["describe", "wearing"]}, {"id": "victims", "prompt": "Did you see anyone hurt or injured?", "keywords": ["hurt", "injured"]}], "expected_outcome": "All available units and tactical response dispatched to Riverside Plaza with the shooter''s description and weapon; EMS staged for the victim in the food court; the caller and his coworkers stay locked in the stockroom, silent, until officers reach them.", "initial_conditions": {"hazards": ["active shooter with a rifle", "at least one victim down in the food court", "crowds fleeing through the exits", "caller wants to leave his hiding place"], "summary": "A store employee calls whispering and sobbing from a stockroom: a man with a rifle is shooting in the food court of a shopping mall; at least one person has been shot and crowds are fleeing.", "location": "Riverside Plaza, 2200 Commerce Drive", "time_of_day": "13:05"}}', 'hard', 'true'),
    ('c9b2c2e1-c9d8-494c-b1b2-ff68095fabab', 'Burglary in Progress', 'An anxious homeowner wakes at night to breaking glass: at least two intruders are downstairs, one with a crowbar, while he and his eight-year-old daughter are upstairs. He wants to go down with a baseball bat: the operator must get the address, find out who is in the house, get him behind a locked door with his daughter, talk him out of confronting the intruders and collect suspect and vehicle details for responding officers.', '{"age": 41, "name": "David Chen", "background": "Software engineer home alone with his daughter Emily, 8, while his wife is travelling; woke at 02:30 to glass breaking at the back door. Owns a baseball bat, no firearms.", "personality": "Analytical but rattled; protective and angry, wants to confront the intruders and needs to be talked out of it firmly; follows instructions once he understands why.", "speech_traits": ["speaks quickly in a low voice", "asks whether he should go downstairs", "describes sounds in detail"], "emotional_state": "anxious"}', '{"dialogue": [{"text": "Somebody''s breaking into my house! I heard the back door window smash, there''s broken glass on the kitchen floor, I can hear it crunching.", "speaker": "caller", "delay_ms": 0, "emotional_state": "anxious"}, {"text": "911, what is the address of your emergency?", "covers": ["location"], "speaker": "operator", "delay_ms": 1200}, {"text": "509 Oakridge Court. It''s the gray house at the end of the cul-de-sac.", "speaker": "caller", "delay_ms": 2000, "emotional_state": "anxious"}, {"text": "Officers are on the way. Is anyone else home with you?", "covers": ["occupants"], "speaker": "operator", "delay_ms": 1500}, {"text": "My daughter Emily, she''s eight, she''s asleep in her room. I''m in the upstairs hallway. I''m David, David Chen.", "speaker": "caller", "delay_ms": 3000, "emotional_state": "anxious"}, {"text": "David, go into Emily''s room with her and lock the door. Do not go downstairs.", "covers": ["safety"], "speaker": "operator", "delay_ms": 1500}, {"text": "I''ve got a baseball bat. Shouldn''t I just go down there? They''re taking our stuff!", "speaker": "caller", "delay_ms": 2500, "emotional_state": "angry"}, {"text": "No. Your things can be replaced, you and Emily can''t. Stay in her room. How many intruders do you hear? Do they sound armed, did you see any weapon?", "covers": ["intruders", "weapons"], "speaker": "operator", "delay_ms": 2000}, {"text": "Okay, we''re in her room, the door''s locked. At least two of them, I hear two voices. I saw one through the stair rail with a crowbar.", "speaker": "caller", "delay_ms": 4000, "emotional_state": "frightened"}, {"text": "Good. Is there a vehicle outside? Look out the window only if you can do it without being seen.", "covers": ["vehicle"], "speaker": "operator", "delay_ms": 1800}, {"text": "There''s a white van backed into my driveway with its lights off. I can''t read the plate.", "speaker": "caller", "delay_ms": 3500, "emotional_state": "anxious"}, {"text": "Stay away from the window now and keep the door locked. Stay quiet; officers are almost there and I''ll tell you when they''re inside.", "covers": ["safety"], "speaker": "operator", "delay_ms": 2000}, {"text": "I hear the back door... they''re running out! The van''s pulling away!", "speaker": "caller", "delay_ms": 4000, "emotional_state": "agitated"}, {"text": "Stay in the room with Emily. Officers are arriving now and will check the house. Don''t go downstairs until an officer tells you it''s clear. Stay on the line with me.", "covers": ["safety"], "speaker": "operator", "delay_ms": 2000}], "key_entities": [{"type": "LOCATION", "value": "509 Oakridge Court"}, {"type": "PERSON", "value": "David Chen"}, {"type": "PERSON", "value": "Emily"}, {"type": "WEAPON", "value": "crowbar"}, {"type": "VEHICLE", "value": "white van"}, {"type": "HAZARD", "value": "broken glass"}], "key_questions": [{"id": "location", "prompt": "What is the address of your emergency?", "keywords": ["address", "where"]}, {"id": "occupants", "prompt": "Is anyone else home with you?", "keywords": ["anyone else"]}, {"id": "safety", "prompt": "Lock yourselves in a room and do not go downstairs.", "keywords": ["lock", "locked", "downstairs"]}, {"id": "intruders", "prompt": "How many intruders do you hear?", "keywords": ["intruders", "how many"]}, {"id": "weapons", "prompt": "Are they armed? Did you see any weapon?", "keywords": ["weapon", "armed"]}, {"id": "vehicle", "prompt": "Is there a vehicle outside?", "keywords": ["vehicle"]}], "expected_outcome": "Police dispatched at high priority with the suspects'' number, the crowbar and the white van broadcast to units; the caller and Emily stay locked in her room until officers clear the house; no confrontation with the intruders.", "initial_conditions": {"hazards": ["intruders inside the house", "one intruder carries a crowbar", "child in the home", "homeowner wants to confront the intruders with a baseball bat"], "summary": "A homeowner calls at night after hearing glass break at his back door; at least two people are moving around downstairs. He and his daughter are upstairs and he is thinking of going down.", "location": "509 Oakridge Court", "time_of_day": "02:30"}}', 'medium', 'true');
ALTER TABLE public.training_scenarios ENABLE TRIGGER training_scenarios_touch_updated_at;
