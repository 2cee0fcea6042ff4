//! Many runners at once, and a lock held by someone else.

use std::time::Duration;

use app_db::lock::LockError;
use app_db::{MigrateError, Migrator};

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runners_apply_each_revision_once() {
    let (db, _client) = common::fresh().await;
    let dir = common::tables(20);
    let m = std::sync::Arc::new(common::load(dir.path()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (m, config) = (m.clone(), db.config().clone());
        tasks.push(tokio::spawn(async move {
            let (mut client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            Migrator::new(&m).upgrade(&mut client, "head").await
        }));
    }
    let mut applied = 0;
    for task in tasks {
        let outcome = task.await.expect("task").expect("every runner succeeds");
        assert!(outcome.at_head);
        applied += outcome.steps.len();
    }
    assert_eq!(applied, 20, "each revision applied by exactly one runner");
    let (_, client) = (db.name(), db.connect().await.expect("connect"));
    assert_eq!(common::recorded(&client).await.len(), 20);
}

#[tokio::test]
async fn lock_timeout_names_the_holder() {
    let (db, mut client) = common::fresh().await;
    let dir = common::tables(1);
    let m = common::load(dir.path());
    let migrator = Migrator::new(&m).with_lock_timeout(Duration::from_millis(300));
    let holder = db.connect().await.expect("second connection");
    holder.batch_execute("BEGIN").await.expect("begin");
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    holder
        .query_one(
            "SELECT pg_advisory_xact_lock($1)::text",
            &[&migrator.table().lock_key()],
        )
        .await
        .expect("lock");
    let err = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("times out");
    match &err {
        MigrateError::Lock(LockError::Timeout {
            holder: Some(h), ..
        }) => assert_eq!(h.pid, pid),
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
    assert!(
        !common::history_exists(&client, "public.schema_revisions").await,
        "nothing ran"
    );
    holder.batch_execute("ROLLBACK").await.expect("release");
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect("proceeds once released");
}
