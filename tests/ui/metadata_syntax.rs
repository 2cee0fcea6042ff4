// metadata.toml written as YAML.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/metadata_syntax");

fn main() {}
