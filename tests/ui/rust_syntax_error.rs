// A Rust revision that does not parse: the macro names the file, the compiler points at the line.
static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("fixtures/rust_syntax_error");

fn main() {}
