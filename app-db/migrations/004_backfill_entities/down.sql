-- Removes the entities revision 004 extracted (it marks them in their metadata); entities the
-- simulator recorded live are kept.
DELETE FROM extracted_entities WHERE metadata ->> 'backfilled_by' = '004_backfill_entities';
