//! Databases built from SQL, catalogs read from them, and the check every test makes: the diff's
//! SQL, applied, leaves nothing to diff.

use migrations_runtime::testing::TestDatabase;
use migrations_schema::{diff, Catalog, ReadOptions};
use tokio_postgres::Client;

/// A fresh database with `sql` run in it.
pub(crate) async fn built(sql: &str) -> (TestDatabase, Client) {
    let (db, client) = crate::common::fresh().await;
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("fixture SQL runs: {e:?}\n{sql}"));
    (db, client)
}

/// The catalog of `client`'s database.
pub(crate) async fn read(client: &mut Client) -> Catalog {
    Catalog::read(client, &ReadOptions::default())
        .await
        .expect("catalog is read")
}

/// Runs `script` in one transaction, as a generated revision would.
pub(crate) async fn apply(client: &mut Client, script: &str) {
    let tx = client.transaction().await.expect("begin");
    if let Err(e) = tx.batch_execute(script).await {
        panic!("generated SQL fails: {e:?}\n--- script ---\n{script}");
    }
    tx.commit().await.expect("commit");
}

/// Turns the database at `from_sql` into the one at `to_sql` with the generated SQL and back
/// with the reverse, checking after each that nothing is left to diff. Returns the forward
/// script, for assertions on its text.
pub(crate) async fn round_trip(from_sql: &str, to_sql: &str) -> String {
    let (_a, mut a) = built(from_sql).await;
    let (_b, mut b) = built(to_sql).await;
    let (from, to) = (read(&mut a).await, read(&mut b).await);
    let forward = diff(&from, &to);
    assert!(
        !forward.is_empty(),
        "the fixtures differ, so the diff must not be empty"
    );
    let script = forward.script();
    apply(&mut a, &script).await;
    let after = read(&mut a).await;
    let left = diff(&after, &to);
    assert!(
        left.is_empty(),
        "after the forward script, still:\n{}\n--- script ---\n{script}",
        list(&left)
    );
    let backward = diff(&after, &from).script();
    apply(&mut a, &backward).await;
    let left = diff(&read(&mut a).await, &from);
    assert!(
        left.is_empty(),
        "after the reverse script, still:\n{}\n--- script ---\n{backward}",
        list(&left)
    );
    script
}

/// One line per difference.
pub(crate) fn list(diff: &migrations_schema::Diff) -> String {
    diff.differences()
        .map(|d| format!("  - {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}
