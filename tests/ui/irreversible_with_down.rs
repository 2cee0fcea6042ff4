// A revision declared irreversible that still has a down script with statements.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/irreversible_with_down");

fn main() {}
