// A conflict resolved by keeping both branches' lines: the chain of the second is wrong.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/lock_merged_by_hand");

fn main() {}
