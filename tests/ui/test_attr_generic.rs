// A database test cannot be generic.
#[app_db::test]
async fn generic<T>(db: app_db::testing::TestDatabase) {}

fn main() {}
