// Unknown arguments are refused with the choices.
#[app_db::test(target = "head")]
async fn unknown(db: app_db::testing::TestDatabase) {}

fn main() {}
