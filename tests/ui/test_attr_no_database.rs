// A database test takes its database as its one argument.
#[migrations_runtime::test]
async fn no_database() {}

fn main() {}
