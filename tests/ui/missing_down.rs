// A revision without down.sql that is not declared irreversible.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/missing_down");

fn main() {}
