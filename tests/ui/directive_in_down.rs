// Directives are read from up.sql only.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/directive_in_down");

fn main() {}
