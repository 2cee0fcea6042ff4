// Flat up and down scripts share a version but not a name.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_mismatched_pair");

fn main() {}
