// A flat down script whose up script is missing.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_down_without_up");

fn main() {}
