// A misspelt argument after the path.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/valid", allow_down_only = true);

fn main() {}
