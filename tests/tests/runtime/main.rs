//! Runtime integration tests against a real PostgreSQL: every command, target form and refusal.
//! Each test gets its own database on one server per test run.

#[path = "../common/mod.rs"]
mod common;

mod code;
mod commands;
mod concurrency;
mod embedded;
mod failures;
mod hygiene;
mod offline;
mod pooler;
mod refusals;
mod targets;
mod templates;
mod timeouts;
mod unfinished;
