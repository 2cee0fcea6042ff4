// A database test takes its database as its one argument.
#[app_db::test]
async fn no_database() {}

fn main() {}
