// metadata.toml says run in a transaction, up.sql says `no-transaction`.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/metadata_conflict");

fn main() {}
