// An absolute path would only build on one machine.
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!("/var/lib/app/migrations");

fn main() {}
