//! Second review of `squash --through REV` (after b2647c9): histories, catalogs and runner paths
//! the baseline should handle and does not, against a real PostgreSQL. Each test names the
//! defect it pins down.

mod common;

use common::database;
use common::squash::{compare, history, role, run};

// Regression (review 16b): a key whose default is volatile (`gen_random_uuid()`) varies
// between two builds, so the dump leaves it to its default; but the rows referencing it keep the
// chain's values (a foreign key column has no default), so they point at keys the baseline never
// creates: the proof's load fails on the foreign key and an ordinary seed (teams, and members
// referencing them) cannot be squashed. Leaving the key out breaks every reference to it.
#[tokio::test]
async fn a_random_key_referenced_by_another_table_is_squashed_with_its_references() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE teams (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE NOT NULL);\n\
             CREATE TABLE members (id int PRIMARY KEY, team_id uuid NOT NULL REFERENCES teams (id), name text);\n\
             INSERT INTO teams (name) VALUES ('red'), ('blue');\n\
             INSERT INTO members SELECT row_number() OVER (ORDER BY name), id, name || ' lead' FROM teams;\n",
        ),
        ("001_init/down.sql", "DROP TABLE members, teams;\n"),
    ]);
    let (baseline, chain) = compare(
        root.path(),
        "001",
        &[],
        &["SELECT string_agg(t.name || ':' || m.name, ',' ORDER BY m.id) FROM members m JOIN teams t ON t.id = m.team_id"],
    )
    .await;
    assert_eq!(baseline, chain);
}

// Regression (review 16b): a table whose every column varies and has a default (an event log of
// `id uuid DEFAULT gen_random_uuid(), at timestamptz DEFAULT now()` seeded with `DEFAULT
// VALUES`) has no column left to insert, and `table_rows` then copies nothing at all: the
// baseline loses the rows (the proof sees 0 rows against 2 and refuses the squash).
#[tokio::test]
async fn a_table_whose_every_column_is_left_to_its_default_keeps_its_rows() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE pings (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), at timestamptz NOT NULL DEFAULT clock_timestamp());\n\
             INSERT INTO pings DEFAULT VALUES;\nINSERT INTO pings DEFAULT VALUES;\n",
        ),
        ("001_init/down.sql", "DROP TABLE pings;\n"),
    ]);
    let (baseline, chain) = compare(
        root.path(),
        "001",
        &[],
        &["SELECT count(*)::text FROM pings"],
    )
    .await;
    assert_eq!(baseline, chain);
}

/// `url` with `-c setting` for every session it opens (the test server's `key=value` form).
fn with_setting(url: &str, setting: &str) -> String {
    assert!(!url.contains("://"), "the test server's URLs are key=value");
    format!("{url} options='-c {setting}'")
}

// Regression (review 16b): the varying columns are those two builds of the chain, seconds
// apart, disagree on; a value that depends on when the chain ran but not to the second (a seed's
// `since date DEFAULT current_date`) is equal in both, so it is copied as a literal: the baseline
// freezes the day of the squash. The generated test (`prove_baseline`), run on a later day,
// builds the chain twice again (equal again), compares the chain's today with the baseline's day
// of the squash and fails: every `cargo test` after midnight. The later day is played here by
// time zones 26 hours apart (the squash at UTC+14, the test at UTC-12).
#[tokio::test]
async fn the_generated_test_of_a_seed_with_a_current_date_default_passes_the_next_day() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE plans (name text PRIMARY KEY, since date NOT NULL DEFAULT current_date);\n\
             INSERT INTO plans (name) VALUES ('free'), ('pro');\n",
        ),
        ("001_init/down.sql", "DROP TABLE plans;\n"),
    ]);
    let db = database().await;
    run(
        root.path(),
        &with_setting(db.url(), "TimeZone=Pacific/Kiritimati"),
        &["squash", "--through", "001", "--no-test"],
        0,
    );
    let migrations = common::squash::loaded(root.path());
    let mut config = db.config().clone();
    config.options("-c TimeZone=Etc/GMT+12");
    let mut client = db.connect().await.expect("connect");
    client
        .batch_execute("SET TimeZone = 'Etc/GMT+12'")
        .await
        .expect("set");
    let proof = migrations_runtime::Migrator::new(
        &migrations,
        migrations_runtime::ConnectOptions::from_config(config),
    )
    .prove_baseline(&mut client)
    .await;
    assert!(proof.is_ok(), "the generated test fails: {proof:?}");
}

// Regression (review 16b): `ALTER DEFAULT PRIVILEGES` (pg_default_acl) is neither read by the
// schema model nor refused by `uncopyable::refuse`, so a baseline silently lacks it: tables a
// later revision creates are readable by the role in the chain's databases and not in the
// baseline's. The proof, reading through the same model, does not see it.
// `squash` now refuses it, naming it, and writes nothing.
#[tokio::test]
async fn default_privileges_a_revision_set_are_refused() {
    let db = database().await;
    let reader = role(&db, "reader").await;
    let up = format!(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO \"{reader}\";\n\
         CREATE TABLE things (id int PRIMARY KEY);\n"
    );
    let root = history(&[
        ("001_init/up.sql", &up),
        ("001_init/down.sql", "DROP TABLE things;\n"),
    ]);
    refused(root.path(), "001", "default privileges of role").await;
}

// Regression (review 16b): extended statistics (`CREATE STATISTICS`, pg_statistic_ext) are
// neither read nor refused: the baseline's databases silently lack them (the planner's
// estimates, which a revision added them for, differ from the chain's databases').
// `squash` now refuses it, naming it, and writes nothing.
#[tokio::test]
async fn extended_statistics_are_refused() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE addresses (id int PRIMARY KEY, city text, zip text);\n\
             CREATE STATISTICS addresses_city_zip (dependencies) ON city, zip FROM addresses;\n",
        ),
        ("001_init/down.sql", "DROP TABLE addresses;\n"),
    ]);
    refused(
        root.path(),
        "001",
        "extended statistics public.addresses_city_zip",
    )
    .await;
}

// Regression (review 16b): `ALTER TABLE ... REPLICA IDENTITY FULL` (relreplident) is neither
// read nor refused: a baseline's table has the default identity, so logical replication of its
// UPDATEs and DELETEs (a table without a key) fails on the databases the baseline built.
// `squash` now refuses it, naming it, and writes nothing.
#[tokio::test]
async fn a_replica_identity_is_refused() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE audit (at timestamptz, what text);\n\
             ALTER TABLE audit REPLICA IDENTITY FULL;\n",
        ),
        ("001_init/down.sql", "DROP TABLE audit;\n"),
    ]);
    refused(root.path(), "001", "replica identity FULL of public.audit").await;
}

// Regression (review 16b): a seed's large object (`lo_from_bytea`, pg_largeobject) is data the
// dump does not copy and the digest does not compare: the baseline's rows hold the oid of a
// large object that does not exist in its databases.
// `squash` now refuses it, naming it, and writes nothing.
#[tokio::test]
async fn a_large_object_a_seed_wrote_is_refused() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE docs (id int PRIMARY KEY, body oid);\n\
             INSERT INTO docs VALUES (1, lo_from_bytea(0, 'hello'));\n",
        ),
        ("001_init/down.sql", "DROP TABLE docs;\n"),
    ]);
    refused(root.path(), "001", "1 large object(s)").await;
}

// Regression (review 16b): a text search configuration (`CREATE TEXT SEARCH CONFIGURATION`) is
// neither read nor refused, though a column's or an index's expression may name it.
// `squash` now refuses it, naming it, and writes nothing.
#[tokio::test]
async fn a_text_search_configuration_is_refused() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TEXT SEARCH CONFIGURATION plain (COPY = simple);\n\
             CREATE TABLE notes (id int PRIMARY KEY, body text);\n",
        ),
        (
            "001_init/down.sql",
            "DROP TABLE notes;\nDROP TEXT SEARCH CONFIGURATION plain;\n",
        ),
    ]);
    refused(root.path(), "001", "text search configuration public.plain").await;
}

// Regression (review 16b): with the history table in the application's own schema
// (`--history-table app.revisions`, a revision then `CREATE SCHEMA IF NOT EXISTS app` and
// granting it), the catalog loses the schema whole (`without_history_schema`), grants and
// comment included, so the baseline's databases lack what the revision granted on it and the
// proof, comparing catalogs both without it, does not see it.
#[tokio::test]
async fn grants_on_the_history_tables_schema_are_in_the_baseline() {
    let db = database().await;
    let reader = role(&db, "reader").await;
    let up = format!(
        "CREATE SCHEMA IF NOT EXISTS app;\n\
         COMMENT ON SCHEMA app IS 'the application';\n\
         GRANT USAGE ON SCHEMA app TO \"{reader}\";\n\
         CREATE TABLE app.things (id int PRIMARY KEY);\n"
    );
    let root = history(&[
        ("001_init/up.sql", &up),
        ("001_init/down.sql", "DROP TABLE app.things;\n"),
    ]);
    let (baseline, chain) = compare(
        root.path(),
        "001",
        &["--history-table", "app.revisions"],
        &[&format!(
            "SELECT has_schema_privilege('{reader}', 'app', 'USAGE')::text || ' ' || coalesce(obj_description('app'::regnamespace, 'pg_namespace'), 'no comment')"
        )],
    )
    .await;
    assert_eq!(baseline, chain);
}

/// Three squashable revisions, then a `no-transaction` one and an irreversible one after them.
fn runner_paths() -> tempfile::TempDir {
    history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE a_first (id int PRIMARY KEY);\nINSERT INTO a_first VALUES (1);\n",
        ),
        ("001_init/down.sql", "DROP TABLE a_first;\n"),
        (
            "002_second/up.sql",
            "CREATE TABLE b_second (id int PRIMARY KEY, a int REFERENCES a_first (id));\nINSERT INTO b_second VALUES (1, 1);\n",
        ),
        ("002_second/down.sql", "DROP TABLE b_second;\n"),
        (
            "003_third/up.sql",
            "ALTER TABLE b_second ADD COLUMN note text;\nUPDATE b_second SET note = 'x';\n",
        ),
        ("003_third/down.sql", "ALTER TABLE b_second DROP COLUMN note;\n"),
        (
            "004_index/up.sql",
            "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY b_second_note ON b_second (note);\n",
        ),
        (
            "004_index/down.sql",
            "DROP INDEX CONCURRENTLY b_second_note;\n",
        ),
    ])
}

// Regression (review 16b): the baseline's schema is written as PostgreSQL deparses it for a
// session whose search_path holds `public`, so the objects of `public` are named unqualified
// inside definitions (`REFERENCES a_first(id)`, a default's `nextval('...'::regclass)`). A
// runner whose search_path does not hold `public` (a role with `ALTER ROLE ... SET search_path
// = app`, or `options=-c search_path=app`) runs a chain written with qualified names fine, and
// fails on the baseline: relation "a_first" does not exist.
#[tokio::test]
async fn the_baseline_runs_where_the_chain_runs_whatever_the_search_path() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE public.a_first (id int PRIMARY KEY);\n\
             CREATE TABLE public.b_second (id int PRIMARY KEY, a int REFERENCES public.a_first (id));\n\
             INSERT INTO public.a_first VALUES (1);\nINSERT INTO public.b_second VALUES (1, 1);\n",
        ),
        ("001_init/down.sql", "DROP TABLE public.b_second, public.a_first;\n"),
    ]);
    let (db, chain, fresh) = (database().await, database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "001", "--no-test"],
        0,
    );
    let elsewhere = |url: &str| with_setting(url, "search_path=app");
    run(
        root.path(),
        &elsewhere(chain.url()),
        &["upgrade", "--no-baseline"],
        0,
    );
    run(root.path(), &elsewhere(fresh.url()), &["upgrade"], 0);
}

/// Squashes `runner_paths` through 003 and returns the directory and its manifest's text.
async fn squashed_runner_paths() -> (tempfile::TempDir, String) {
    let root = runner_paths();
    let db = database().await;
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let list = std::fs::read_to_string(root.path().join("m/baseline/squashed.list")).expect("list");
    (root, list)
}

/// The manifest's lines, split into the header (comments and `up`) and the revisions' lines.
fn manifest_lines(list: &str) -> (Vec<&str>, Vec<&str>) {
    list.lines()
        .partition(|l| l.starts_with('#') || l.starts_with("up "))
}

// Regression (review 16b): a manifest listing a revision twice (a merge of two branches that
// both squashed, or a hand edit) is read without complaint: the second line finds no revision
// left on disk and is rebuilt as a dropped one, so the table holds version 001 twice and the
// baseline claims one more revision than it replaces.
#[tokio::test]
async fn a_manifest_listing_a_revision_twice_is_refused() {
    let (root, list) = squashed_runner_paths().await;
    let (head, revisions) = manifest_lines(&list);
    let mut twice = head.clone();
    twice.extend(&revisions);
    twice.push(revisions[0]);
    let text = twice.join("\n") + "\n";
    std::fs::write(root.path().join("m/baseline/squashed.list"), text).expect("write");
    let loaded = migrations_core::load_dir(&root.path().join("m"), "m", Default::default());
    assert!(
        loaded.is_err(),
        "loaded: {:?}",
        loaded.map(|m| (
            m.iter().map(|r| r.label()).collect::<Vec<_>>(),
            m.baseline().map(|b| b.level())
        ))
    );
}

// Regression (review 16b): a manifest whose revisions are out of order is read in the
// manifest's order, not the versions': once the revisions are dropped, the table runs 002 before
// 001 (their history rows, the lock file, `history`), and nothing says the manifest is wrong.
#[tokio::test]
async fn a_manifest_listing_revisions_out_of_order_is_refused() {
    let (root, list) = squashed_runner_paths().await;
    let (head, revisions) = manifest_lines(&list);
    let mut swapped = head.clone();
    swapped.extend([revisions[1], revisions[0], revisions[2]]);
    let text = swapped.join("\n") + "\n";
    std::fs::write(root.path().join("m/baseline/squashed.list"), text).expect("write");
    for revision in ["001_init", "002_second", "003_third"] {
        std::fs::remove_dir_all(root.path().join("m").join(revision)).expect("drop");
    }
    let loaded = migrations_core::load_dir(&root.path().join("m"), "m", Default::default());
    assert!(
        loaded.is_err(),
        "loaded in this order: {:?}",
        loaded.map(|m| m.iter().map(|r| r.label()).collect::<Vec<_>>())
    );
}

/// `squash --through through` on `root` is refused, naming `what`, and writes nothing.
async fn refused(root: &std::path::Path, through: &str, what: &str) {
    let db = database().await;
    let (_, err) = run(
        root,
        db.url(),
        &["squash", "--through", through, "--no-test"],
        1,
    );
    assert!(
        err.contains("cannot squash") && err.contains(what),
        "`{what}` in: {err}"
    );
    assert!(!root.join("m/baseline").exists());
}
