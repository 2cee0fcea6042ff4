// An argument given twice is refused rather than silently overridden.
#[migrations_runtime::test(at = "001", at = "002")]
async fn twice(db: migrations_runtime::testing::TestDatabase) {}

fn main() {}
