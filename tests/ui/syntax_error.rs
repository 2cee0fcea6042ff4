// A script PostgreSQL's grammar rejects: file, line and column, the line quoted, a caret.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/syntax_error");

fn main() {}
