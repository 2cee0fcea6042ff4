//! Watches the simulator's migrations directory so the crate rebuilds when a revision changes.
fn main() {
    migrations_core::build::watch(&["migrations"]);
}
