-- Reverts 003_scenario_history: the triggers, their functions and the three columns. The
-- scenario names copied into sessions are lost with the column.
DROP TRIGGER call_sessions_copy_scenario_name ON call_sessions;
DROP FUNCTION call_sessions_copy_scenario_name();
ALTER TABLE call_sessions DROP COLUMN scenario_name;

DROP TRIGGER training_scenarios_touch_updated_at ON training_scenarios;
DROP FUNCTION training_scenarios_touch_updated_at();
ALTER TABLE training_scenarios DROP COLUMN updated_at, DROP COLUMN created_at;
