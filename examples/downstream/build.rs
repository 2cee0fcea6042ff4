//! Rebuilds the crate when a migration is added, edited or removed.
fn main() {
    migrations_core::build::watch(&["migrations"]);
}
