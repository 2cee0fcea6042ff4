// A direction written both in SQL and in Rust.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_beside_sql");

fn main() {}
