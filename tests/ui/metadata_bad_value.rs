// metadata.toml with a value that is not a boolean.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/metadata_bad_value");

fn main() {}
