//! Watches the project's migrations directory so embedding crates rebuild when it changes.
fn main() {
    migrations_core::build::watch(&["../migrations"]);
}
