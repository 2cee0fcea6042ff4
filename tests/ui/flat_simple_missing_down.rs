// A sqlx "simple" (up-only) file in a strict directory: the fix is to rename it `.up.sql`.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_simple_missing_down");

fn main() {}
