// Unknown arguments, and `empty` together with a revision, are refused with the choices.
#[app_db::test(target = "head")]
async fn unknown(db: app_db::testing::TestDatabase) {}

#[app_db::test(empty, at = "001")]
async fn contradictory(db: app_db::testing::TestDatabase) {}

fn main() {}
