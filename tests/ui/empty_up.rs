// An up.sql holding only whitespace.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/empty_up");

fn main() {}
