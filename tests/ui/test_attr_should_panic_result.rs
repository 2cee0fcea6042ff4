// `#[should_panic]` tests return `()`, as for `#[test]`.
#[migrations_runtime::test]
#[should_panic]
async fn panics(db: migrations_runtime::testing::TestDatabase) -> Result<(), String> {
    Ok(())
}

fn main() {}
