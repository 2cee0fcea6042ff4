// `003` has no name after its version; `3x_users` runs its version into letters.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/bad_revision_name");

fn main() {}
