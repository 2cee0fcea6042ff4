// A database test cannot be generic.
#[migrations_runtime::test]
async fn generic<T>(db: migrations_runtime::testing::TestDatabase) {}

fn main() {}
