// metadata.toml with a misspelt key.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/metadata_unknown_key");

fn main() {}
