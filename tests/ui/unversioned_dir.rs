// A directory holding up.sql whose name has no version.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/unversioned_dir");

fn main() {}
