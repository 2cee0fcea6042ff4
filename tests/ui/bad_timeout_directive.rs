// A timeout directive whose value is not a duration.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/bad_timeout_directive");

fn main() {}
