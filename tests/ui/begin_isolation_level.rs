// BEGIN with options cannot be honoured inside the runner's transaction.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/begin_isolation_level");

fn main() {}
