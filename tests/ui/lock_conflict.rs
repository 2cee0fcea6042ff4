// A lock file left with git's conflict markers by a merge of two branches.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/lock_conflict");

fn main() {}
