// Unknown arguments are refused with the choices.
#[migrations_runtime::test(target = "head")]
async fn unknown(db: migrations_runtime::testing::TestDatabase) {}

fn main() {}
