//! The schema engine against a real PostgreSQL: every object kind is read, generated from
//! nothing, and generated away again; every kind of change is diffed, applied, and read back equal.

#[path = "../common/mod.rs"]
mod common;

mod changes;
mod kinds;
mod review;
mod support;
