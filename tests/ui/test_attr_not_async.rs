// A database test is an async fn.
#[migrations_runtime::test]
fn not_async(db: migrations_runtime::testing::TestDatabase) {}

fn main() {}
