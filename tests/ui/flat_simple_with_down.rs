// A sqlx "simple" file with a down script beside it: a plain `.sql` cannot pair with one.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("fixtures/flat_simple_with_down");

fn main() {}
