// No build script watches this directory (the test leaves it out of EMBED_MIGRATIONS_WATCHED).
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/not_watched");

fn main() {}
