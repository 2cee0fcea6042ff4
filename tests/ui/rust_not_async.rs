// A Rust revision whose function is not async.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_not_async");

fn main() {}
