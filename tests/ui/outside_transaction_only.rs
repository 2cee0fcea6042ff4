// VACUUM in a transactional revision can never run: denied by the lint.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/outside_transaction_only");

fn main() {}
