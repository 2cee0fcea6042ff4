// CONCURRENTLY in a transactional revision can never run: denied by the lint.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/concurrently_in_transaction");

fn main() {}
