// Every problem in the directory is reported in one build, not one per rebuild.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/several_problems");

fn main() {}
