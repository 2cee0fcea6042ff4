// `upp.sql` and `up.SQL` look like scripts but would never run.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/misnamed_script");

fn main() {}
