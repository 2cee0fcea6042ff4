// The baseline edited by hand after `squash` proved it.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/baseline_edited");

fn main() {}
