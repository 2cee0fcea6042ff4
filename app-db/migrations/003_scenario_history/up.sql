-- 003_scenario_history: what the simulator adds to the schema the Alembic setup left (001 is
-- kept identical to it so an Alembic database can be taken over, and this revision then runs
-- on it like on any other):
--   * training_scenarios.created_at / updated_at, updated_at maintained by a trigger;
--   * the scenario key becomes ON DELETE SET NULL (it was CASCADE, as Alembic had it): deleting a
--     scenario keeps its sessions as training history;
--   * call_sessions.scenario_name, a copy of the scenario's name taken when a session is linked
--     to it, so a session keeps saying which scenario it played after the scenario is deleted.
--     Existing sessions are backfilled from their scenario; one whose scenario is already gone
--     gets '(deleted scenario)'.

ALTER TABLE training_scenarios
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN training_scenarios.created_at IS
    'When the scenario row was created (rows older than revision 003: when 003 ran).';
COMMENT ON COLUMN training_scenarios.updated_at IS
    'When the scenario row was last changed; set to now() by trigger training_scenarios_touch_updated_at on every UPDATE.';

CREATE FUNCTION training_scenarios_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION training_scenarios_touch_updated_at() IS
    'Trigger function: sets training_scenarios.updated_at to the current transaction time on UPDATE.';

CREATE TRIGGER training_scenarios_touch_updated_at
    BEFORE UPDATE ON training_scenarios
    FOR EACH ROW
    EXECUTE FUNCTION training_scenarios_touch_updated_at();
COMMENT ON TRIGGER training_scenarios_touch_updated_at ON training_scenarios IS
    'Keeps updated_at current on every UPDATE of a scenario.';

ALTER TABLE call_sessions
    DROP CONSTRAINT call_sessions_scenario_id_fkey,
    ADD CONSTRAINT call_sessions_scenario_id_fkey FOREIGN KEY (scenario_id)
        REFERENCES training_scenarios (id) ON DELETE SET NULL;
COMMENT ON COLUMN call_sessions.scenario_id IS
    'The training scenario played (FK to training_scenarios.id, ON DELETE SET NULL): NULL once '
    'the scenario has been deleted; scenario_name still names it.';

ALTER TABLE call_sessions ADD COLUMN scenario_name text;
UPDATE call_sessions AS cs
SET scenario_name = coalesce(ts.name, '(deleted scenario)')
FROM call_sessions AS c
LEFT JOIN training_scenarios AS ts ON ts.id = c.scenario_id
WHERE c.id = cs.id;
ALTER TABLE call_sessions ALTER COLUMN scenario_name SET NOT NULL;
COMMENT ON COLUMN call_sessions.scenario_name IS
    'Copy of training_scenarios.name taken when the session was linked to its scenario (filled by '
    'trigger call_sessions_copy_scenario_name on INSERT and whenever scenario_id changes to a '
    'scenario), so reports can name the scenario even after it was deleted.';

CREATE FUNCTION call_sessions_copy_scenario_name() RETURNS trigger
    LANGUAGE plpgsql
AS $$
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
$$;
COMMENT ON FUNCTION call_sessions_copy_scenario_name() IS
    'Trigger function: copies training_scenarios.name into call_sessions.scenario_name when a '
    'session is inserted with, or updated to, a scenario_id; raises foreign_key_violation for '
    'an unknown scenario.';

CREATE TRIGGER call_sessions_copy_scenario_name
    BEFORE INSERT OR UPDATE OF scenario_id ON call_sessions
    FOR EACH ROW
    EXECUTE FUNCTION call_sessions_copy_scenario_name();
COMMENT ON TRIGGER call_sessions_copy_scenario_name ON call_sessions IS
    'Keeps scenario_name equal to the linked scenario''s name at the time of linking.';
