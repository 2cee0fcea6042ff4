// A misspelt `-- migrate:` directive.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/unknown_directive");

fn main() {}
