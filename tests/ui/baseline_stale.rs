// A squashed revision edited after `squash` proved the baseline equal to it.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/baseline_stale");

fn main() {}
