// The path must be a literal: the macro reads the directory before constants exist.
const DIR: &str = "fixtures/valid";

static MIGRATIONS: migrations_core::Migrations = migrations_macro::embed_migrations!(DIR);

fn main() {}
