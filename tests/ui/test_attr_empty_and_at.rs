// `empty` and a revision contradict each other.
#[app_db::test(empty, at = "001")]
async fn contradictory(db: app_db::testing::TestDatabase) {}

fn main() {}
