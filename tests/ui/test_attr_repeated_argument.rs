// An argument given twice is refused rather than silently overridden.
#[app_db::test(at = "001", at = "002")]
async fn twice(db: app_db::testing::TestDatabase) {}

fn main() {}
