// A Rust revision whose function takes a client instead of the revision's transaction: the compiler's type error, at the file's own line.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_wrong_parameter");

fn main() {}
