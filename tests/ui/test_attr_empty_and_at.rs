// `empty` and a revision contradict each other.
#[migrations_runtime::test(empty, at = "001")]
async fn contradictory(db: migrations_runtime::testing::TestDatabase) {}

fn main() {}
