// Flat scripts must end in lowercase `.up.sql` / `.down.sql`.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_uppercase_extension");

fn main() {}
