// A directive below the first line of up.sql would be ignored.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/misplaced_directive");

fn main() {}
