// A COMMIT in the middle of up.sql would commit part of the revision early.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/commit_midway");

fn main() {}
