// A revision edited after the lock file was written.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/lock_edited");

fn main() {}
