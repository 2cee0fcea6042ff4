// A database test is an async fn.
#[app_db::test]
fn not_async(db: app_db::testing::TestDatabase) {}

fn main() {}
