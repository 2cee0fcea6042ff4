-- Reverts 002_seed_training_scenarios: deletes exactly the five seeded scenarios, by id, and
-- no other row of training_scenarios (scenarios added by hand or by later revisions stay).
--
-- What happens to sessions that reference them: they are KEPT, with their transcripts, extracted
-- entities and performance metrics, as training history. At this level the scenario key is
-- ON DELETE CASCADE (001, as Alembic had it; 003 is reverted before this runs), so the sessions
-- are detached first: their scenario_id becomes NULL. Re-applying 002 re-creates the five
-- scenarios with the same ids; the detached sessions stay unlinked. To delete the sessions too,
-- delete them before downgrading (their transcripts, entities and metrics go by CASCADE).
UPDATE call_sessions
SET scenario_id = NULL
WHERE scenario_id IN (
    '5e083017-00a4-4bc8-a464-aeb864a059f4',
    'bde5e112-af02-4dc3-a5ba-86f47159722f',
    '5b8e0096-161b-4f6e-af5c-a0102a68f12e',
    '75588c5f-0f37-49d8-9da1-2af521c58324',
    'c9b2c2e1-c9d8-494c-b1b2-ff68095fabab'
);

DELETE FROM training_scenarios
WHERE id IN (
    '5e083017-00a4-4bc8-a464-aeb864a059f4', -- Domestic Violence Call
    'bde5e112-af02-4dc3-a5ba-86f47159722f', -- Medical Emergency - Heart Attack
    '5b8e0096-161b-4f6e-af5c-a0102a68f12e', -- Car Accident - Minor Injuries
    '75588c5f-0f37-49d8-9da1-2af521c58324', -- Active Shooter Report
    'c9b2c2e1-c9d8-494c-b1b2-ff68095fabab'  -- Burglary in Progress
);
