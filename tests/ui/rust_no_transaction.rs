// A Rust revision declared no-transaction: it runs in its transaction, or in batches.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_no_transaction");

fn main() {}
