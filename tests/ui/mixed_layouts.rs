// Revision directories and flat files in one directory.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/mixed_layouts");

fn main() {}
