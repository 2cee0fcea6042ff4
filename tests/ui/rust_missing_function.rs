// A Rust revision without the function the runner calls.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_missing_function");

fn main() {}
