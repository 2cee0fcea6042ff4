// A revision directory with down.sql but no up.sql.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/missing_up");

fn main() {}
