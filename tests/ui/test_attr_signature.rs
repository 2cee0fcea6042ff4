// A database test is an async fn taking its database, and nothing else.
#[app_db::test]
fn not_async(db: app_db::testing::TestDatabase) {}

#[app_db::test]
async fn no_database() {}

fn main() {}
