-- Reverts 003_scenario_history: the triggers, their functions, the three columns, and the
-- scenario key back to ON DELETE CASCADE. The
-- scenario names copied into sessions are lost with the column.
DROP TRIGGER call_sessions_copy_scenario_name ON call_sessions;
DROP FUNCTION call_sessions_copy_scenario_name();
ALTER TABLE call_sessions DROP COLUMN scenario_name;
ALTER TABLE call_sessions
    DROP CONSTRAINT call_sessions_scenario_id_fkey,
    ADD CONSTRAINT call_sessions_scenario_id_fkey FOREIGN KEY (scenario_id)
        REFERENCES training_scenarios (id) ON DELETE CASCADE;
COMMENT ON COLUMN call_sessions.scenario_id IS
    'The training scenario played (FK to training_scenarios.id; ON DELETE CASCADE here, SET NULL '
    'from revision 003 on): NULL once the scenario has been deleted.';

DROP TRIGGER training_scenarios_touch_updated_at ON training_scenarios;
DROP FUNCTION training_scenarios_touch_updated_at();
ALTER TABLE training_scenarios DROP COLUMN updated_at, DROP COLUMN created_at;
