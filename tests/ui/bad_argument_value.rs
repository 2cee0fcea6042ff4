// `allow_up_only` takes a boolean literal.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/valid", allow_up_only = "yes");

fn main() {}
