// A revision added without rewriting the lock file.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/lock_unlisted");

fn main() {}
