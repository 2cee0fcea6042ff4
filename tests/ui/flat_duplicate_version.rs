// Two flat up scripts share version 3.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_duplicate_version");

fn main() {}
