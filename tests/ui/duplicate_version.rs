// Two revision directories share version 003.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/duplicate_version");

fn main() {}
