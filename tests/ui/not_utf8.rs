// An up.sql saved as Latin-1.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/not_utf8");

fn main() {}
