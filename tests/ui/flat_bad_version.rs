// Flat versions are integers: a dashed date does not parse.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_bad_version");

fn main() {}
