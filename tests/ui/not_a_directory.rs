// The path names a file, not a directory.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/not_a_directory.txt");

fn main() {}
