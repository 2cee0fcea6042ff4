// lint.toml raises a warning rule to deny.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/lint_config_deny");

fn main() {}
