// The directory does not exist.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/does_not_exist");

fn main() {}
