// A Rust revision opening with a `//!` doc comment, which an included file cannot have.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_inner_doc");

fn main() {}
