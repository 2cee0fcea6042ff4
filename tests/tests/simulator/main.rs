//! The simulator's data layer and the takeover of Alembic-managed databases, on per-test
//! databases migrated with the embedded revisions.

#[path = "../common/mod.rs"]
mod common;

mod backfill;
mod data;
mod takeover;
