// An opt-out must say why.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/lint_allow_without_reason");

fn main() {}
