// up.sql directly in the migrations directory instead of a revision directory.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/top_level_up");

fn main() {}
