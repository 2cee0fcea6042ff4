// Two-phase commit cannot run inside a migration.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/two_phase_commit");

fn main() {}
