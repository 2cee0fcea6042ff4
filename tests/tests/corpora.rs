//! Real histories written by other projects (the directory `MIGRATIONS_CORPORA` names): they load through the macro and
//! at run time identically, upgrade to head, and go back down as far as their own down scripts
//! allow; a downgrade through a broken down script is refused before anything runs, naming it with
//! the position the server reports, and the database stays consistent.

mod common;

use std::path::PathBuf;

use migrations_core::{load_dir, Migrations, ScanOptions};
use migrations_runtime::error::ApplyError;
use migrations_runtime::error::PlanError;
use migrations_runtime::{Direction, MigrateError, Migrator};

// `DOCSRS`, `GRAPH_NODE`, `ZKSYNC` and `EMBEDDED`, written by the build script. The safety lint
// warns about these histories' risky statements (drops, type changes, no lock_timeout): real
// findings about other projects' files, not ours to fix here. graph-node really has mixed-width
// versions (e.g. `2020-12-7-190800`); diesel applies them in string order and so do we. The
// compile warnings saying so are expected, and so are the warnings for the one down script of
// each history that is not valid SQL: the histories are imported as published
// (`allow_syntax_errors`), and the tests below pin how the runtime stops at those scripts.
include!(concat!(env!("OUT_DIR"), "/corpora.rs"));

/// The embedded corpora and their directory, or `None` (with a note) when `MIGRATIONS_CORPORA`
/// was unset at build time.
fn corpora(test: &str) -> Option<([&'static Migrations; 3], PathBuf)> {
    let Some(embedded) = EMBEDDED else {
        return migrations_core::corpora::dir(test).map(|_| {
            panic!("MIGRATIONS_CORPORA is set now but was not when the tests were built: rebuild")
        });
    };
    let dir = migrations_core::corpora::dir(test)
        .expect("MIGRATIONS_CORPORA was set when the tests were built: set it again");
    Some((embedded, dir))
}

#[test]
fn embedded_equals_loaded_for_every_corpus() {
    let Some(([docsrs, graph_node, zksync], dir)) =
        corpora("embedded_equals_loaded_for_every_corpus")
    else {
        return;
    };
    let corpus = |name: &str| dir.join(name);
    let strict = ScanOptions::default();
    assert_eq!(
        *docsrs,
        load_dir(&corpus("docsrs"), "docsrs", strict).expect("docs.rs")
    );
    assert_eq!(
        *graph_node,
        load_dir(&corpus("graph-node"), "graph-node", strict).expect("graph-node")
    );
    let import = ScanOptions {
        allow_up_only: true,
        ..ScanOptions::default()
    };
    assert_eq!(
        *zksync,
        load_dir(&corpus("zksync-era"), "zksync-era", import).expect("zksync-era")
    );
    assert_eq!(
        (docsrs.len(), graph_node.len(), zksync.len()),
        (33, 125, 269)
    );
}

/// The grammar finds, at compile time, every script the server rejects (`grammar.rs` checks
/// that verdict file by file): the two downgrades below stop at, with the same line and column,
/// and the older broken down scripts of graph-node that a downgrade never reaches.
#[test]
fn the_grammar_finds_the_broken_down_scripts() {
    let Some((_, dir)) = corpora("the_grammar_finds_the_broken_down_scripts") else {
        return;
    };
    let corpus = |name: &str| dir.join(name);
    let found = |name: &str, options| {
        let report = migrations_core::scan(&corpus(name), name, options);
        let errors: Vec<(String, usize, usize)> = report
            .syntax_errors
            .iter()
            .map(|e| (e.path.clone(), e.line, e.column))
            .collect();
        errors
    };
    assert!(found("docsrs", ScanOptions::default()).is_empty());
    assert_eq!(
        found("graph-node", ScanOptions::default()),
        [
            ("2020-12-15-000000_remove_nested_templates", 4, 21),
            ("2021-02-24-051050_dds_remove_unused_columns", 2, 3),
            (
                "2021-03-24-220541_deployment_schemas_deployment_shard",
                1,
                6
            ),
            ("2022-10-13-000000_track_processed_data_source", 1, 1),
            ("2023-12-15-182102_add_first_last_fn", 1, 27),
        ]
        .map(|(rev, line, column)| (format!("graph-node/{rev}/down.sql"), line, column))
    );
    let import = ScanOptions {
        allow_up_only: true,
        ..ScanOptions::default()
    };
    assert_eq!(
        found("zksync-era", import),
        [
            ("20220204223302_transactions_new_mempool", 1, 26),
            ("20220815130828_support_eip1559", 5, 68),
            ("20220930085018_add_proof_aggregations", 3, 25),
            ("20221001090302_add_proof_result", 1, 25),
            ("20221002190817_add_circuit_id_to_proofs", 1, 25),
            ("20221202102801_events-tx-initiator-address", 2, 53),
            (
                "20240112194527_snapshots_applier_processed_chunks_format_change",
                1,
                65
            ),
            (
                "20240205123456_add_genesis_to_consensus_replica_state",
                1,
                57
            ),
            ("20240925103531_gateway_upgrade", 1, 62),
            ("20241011081834_batch_chain_merkle_path", 2, 41),
            ("20250402131932_add_dispatch_request_id", 2, 65),
            ("20250822160137_indexes-for-finalization", 1, 15),
        ]
        .map(|(rev, line, column)| (format!("zksync-era/{rev}.down.sql"), line, column))
    );
}

/// Upgrades to head, checks the history, then downgrades to `base` (or `floor`, the lowest level
/// the history's irreversible revisions allow) and returns the error it stopped with, if any.
async fn round_trip(
    m: &Migrations,
    floor: &str,
) -> (
    tokio_postgres::Client,
    Option<MigrateError>,
    migrations_runtime::testing::TestDatabase,
) {
    let (db, mut client) = common::fresh().await;
    let up = Migrator::client_only(m)
        .upgrade(&mut client, "head")
        .await
        .expect("history upgrades to head");
    assert_eq!(up.steps.len(), m.len());
    assert!(up.at_head);
    let down = Migrator::client_only(m)
        .downgrade(&mut client, floor)
        .await
        .err();
    (client, down, db)
}

#[tokio::test]
async fn docsrs_goes_up_and_all_the_way_down() {
    let Some(([docsrs, ..], _)) = corpora("docsrs_goes_up_and_all_the_way_down") else {
        return;
    };
    let (client, err, _db) = round_trip(docsrs, "base").await;
    assert!(err.is_none(), "{err:?}");
    assert!(common::recorded(&client).await.is_empty());
}

/// A downgrade through graph-node's broken down scripts is refused before anything is reverted,
/// naming each with the line and column the server reports (`grammar.rs` checks that verdict);
/// a downgrade that stops at the newest broken revision runs.
#[tokio::test]
async fn graph_node_refuses_a_downgrade_through_its_broken_down_scripts() {
    let Some(([_, graph_node, _], _)) =
        corpora("graph_node_refuses_a_downgrade_through_its_broken_down_scripts")
    else {
        return;
    };
    let (_db, mut client) = common::fresh().await;
    let m = Migrator::client_only(graph_node);
    let up = m
        .upgrade(&mut client, "head")
        .await
        .expect("graph-node upgrades to head");
    assert_eq!(up.steps.len(), graph_node.len());
    let before = common::snapshot(&client).await;
    let refused = m
        .downgrade(&mut client, "base")
        .await
        .expect_err("five of graph-node's down scripts are invalid SQL");
    assert_refused_for_syntax(
        &refused,
        5,
        "2023-12-15-182102_add_first_last_fn/down.sql",
        1,
        27,
    );
    assert_eq!(
        common::snapshot(&client).await,
        before,
        "the refusal changed nothing"
    );
    m.downgrade(&mut client, "20231215182102")
        .await
        .expect("the revisions above the broken one revert");
    assert_consistent(&mut client, graph_node, "20231215182102").await;
}

/// zksync-era refuses `base` for its up-only revision, then a downgrade through its broken down
/// scripts, each refusal changing nothing; a downgrade that stops at the newest broken revision
/// runs.
#[tokio::test]
async fn zksync_refuses_base_and_a_downgrade_through_its_broken_down_scripts() {
    let Some(([.., zksync], _)) =
        corpora("zksync_refuses_base_and_a_downgrade_through_its_broken_down_scripts")
    else {
        return;
    };
    let (db, mut client) = common::fresh().await;
    let m = Migrator::client_only(zksync);
    m.upgrade(&mut client, "head")
        .await
        .expect("zksync-era upgrades to head");
    let before = common::snapshot(&client).await;
    let refused = m
        .downgrade(&mut client, "base")
        .await
        .expect_err("an up-only revision is irreversible");
    assert!(
        matches!(&refused, MigrateError::Plan(PlanError::Irreversible { revision, .. }) if revision == "20241812144402_create_index_data_availability"),
        "{refused}"
    );
    let refused = m
        .downgrade(&mut client, "20241812144402")
        .await
        .expect_err("two later down scripts are broken");
    assert_refused_for_syntax(
        &refused,
        2,
        "20250822160137_indexes-for-finalization.down.sql",
        1,
        15,
    );
    assert_eq!(
        common::snapshot(&client).await,
        before,
        "the refusals changed nothing"
    );
    m.downgrade(&mut client, "20250822160137")
        .await
        .expect("the revisions above the broken one revert");
    assert_consistent(&mut client, zksync, "20250822160137").await;
    drop(db);
}

/// `err` is the refusal of a downgrade for `count` down scripts that do not parse, the first
/// (the newest, reverted first) being `file` at `line`:`column`.
fn assert_refused_for_syntax(
    err: &MigrateError,
    count: usize,
    file: &str,
    line: usize,
    column: usize,
) {
    match err {
        MigrateError::Plan(PlanError::Syntax { direction, errors }) => {
            assert_eq!(*direction, Direction::Down);
            assert_eq!(errors.len(), count, "{err}");
            assert_eq!(
                (errors[0].path.as_str(), errors[0].line, errors[0].column),
                (file, line, column),
                "{err}"
            );
            assert!(err.to_string().contains("ran nothing"), "{err}");
        }
        other => panic!("unexpected error: {other}"),
    }
}

/// The history holds exactly the revisions up to `version`, the rest reverted. Going back up may
/// hit the history's own defects (down scripts that do not fully undo their up scripts, such as
/// graph-node's temporary table or zksync-era's enum label): then the runner stops at that exact
/// revision and the history is still an unbroken prefix of the revisions.
async fn assert_consistent(client: &mut tokio_postgres::Client, m: &Migrations, version: &str) {
    let level = m.position(version).expect("known") + 1;
    let prefix = |n: usize| {
        let mut v: Vec<String> = m.as_slice()[..n]
            .iter()
            .map(|r| r.version().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(common::recorded(client).await, prefix(level));
    match Migrator::client_only(m).upgrade(client, "head").await {
        Ok(again) => assert_eq!(again.steps.len(), m.len() - level),
        Err(MigrateError::Apply(ApplyError::Script {
            revision, still_at, ..
        })) => {
            let failed = m
                .iter()
                .position(|r| r.label() == revision)
                .expect("a known revision");
            assert!(failed >= level, "{revision} was already applied");
            assert_eq!(still_at, m.as_slice()[failed - 1].label());
            assert_eq!(
                common::recorded(client).await,
                prefix(failed),
                "history is a prefix up to the failure"
            );
        }
        Err(other) => panic!("unexpected error going back up: {other}"),
    }
}

/// The schema engine on real schemas: each history at head is read, generated from nothing into
/// an empty database, and read back; then generated away to nothing. PostgreSQL does not always
/// deparse an expression to text that parses back to the same tree (`x IN ('a', 'b')` over
/// `varchar` comes back with its casts moved), so the first rebuild may spell some definitions
/// differently from the original: those are the only differences allowed, and a second rebuild
/// must then be exact.
#[tokio::test]
async fn each_corpus_at_head_is_generated_from_its_catalog() {
    use migrations_schema::{diff, Action, Catalog, Name, ReadOptions};
    let Some((corpora, _)) = corpora("each_corpus_at_head_is_generated_from_its_catalog") else {
        return;
    };
    let options = ReadOptions {
        exclude: vec![Name::new("public", "schema_revisions")],
        ..ReadOptions::default()
    };
    async fn run(client: &mut tokio_postgres::Client, script: &str) {
        let tx = client.transaction().await.expect("begin");
        if let Err(e) = tx.batch_execute(script).await {
            panic!("generated SQL fails: {e:?}\n{script}");
        }
        tx.commit().await.expect("commit");
    }
    for m in corpora {
        let (_db, mut client) = common::fresh().await;
        Migrator::client_only(m)
            .upgrade(&mut client, "head")
            .await
            .expect("history upgrades to head");
        let head = Catalog::read(&mut client, &options)
            .await
            .expect("read at head");
        let (_empty, mut first) = common::fresh().await;
        let empty = Catalog::read(&mut first, &options)
            .await
            .expect("read empty");
        let create = diff(&empty, &head);
        assert!(
            create.differences().count() > 10,
            "a real schema has objects"
        );
        run(&mut first, &create.script()).await;
        let rebuilt = Catalog::read(&mut first, &options)
            .await
            .expect("read rebuilt");
        let respelled = diff(&rebuilt, &head);
        for d in respelled.differences() {
            assert_eq!(
                d.action,
                Action::Alter,
                "only definitions may be spelled anew: {d}"
            );
        }
        let (_again, mut second) = common::fresh().await;
        run(&mut second, &diff(&empty, &rebuilt).script()).await;
        let again = Catalog::read(&mut second, &options)
            .await
            .expect("read rebuilt again");
        let left: Vec<String> = diff(&again, &rebuilt)
            .differences()
            .map(|d| d.to_string())
            .collect();
        assert!(
            left.is_empty(),
            "rebuilt twice, still differs:\n{}",
            left.join("\n")
        );

        run(&mut client, &diff(&head, &empty).script()).await;
        let after = Catalog::read(&mut client, &options)
            .await
            .expect("read after drop");
        let left: Vec<String> = diff(&after, &empty)
            .differences()
            .map(|d| d.to_string())
            .collect();
        assert!(
            left.is_empty(),
            "generated away, still differs:\n{}",
            left.join("\n")
        );
    }
}

/// Right after an upgrade to head, each history's database is what its revisions produce.
#[tokio::test]
async fn each_corpus_has_no_drift_right_after_upgrade() {
    let Some((corpora, _)) = corpora("each_corpus_has_no_drift_right_after_upgrade") else {
        return;
    };
    for m in corpora {
        let (db, mut client) = common::fresh().await;
        let options = migrations_runtime::ConnectOptions::from_config(db.config().clone());
        let migrator = Migrator::new(m, options);
        migrator
            .upgrade(&mut client, "head")
            .await
            .expect("upgrade");
        let drift = migrator.drift(&mut client).await.expect("drift");
        let left: Vec<String> = drift.diff.differences().map(|d| d.to_string()).collect();
        assert!(
            left.is_empty(),
            "drift right after upgrade:\n{}",
            left.join("\n")
        );
    }
}
