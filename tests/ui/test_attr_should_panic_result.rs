// `#[should_panic]` tests return `()`, as for `#[test]`.
#[app_db::test]
#[should_panic]
async fn panics(db: app_db::testing::TestDatabase) -> Result<(), String> {
    Ok(())
}

fn main() {}
