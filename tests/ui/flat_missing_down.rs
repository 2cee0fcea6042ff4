// A flat up script without its down script.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_missing_down");

fn main() {}
