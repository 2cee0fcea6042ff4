//! Review of `squash --through REV` (commit 4a81b29): histories the baseline should replace but
//! does not, against a real PostgreSQL. Each test names the defect it pins down.

mod common;

use common::squash::{both_ways, history, loaded, rows, run, runner, through_baseline};
use common::{database, migrate};

// Regression (review 16): `rows::in_key_order` orders every table, with rows or not, and
// refuses any cycle of foreign keys, so two empty tables that reference each other (a very
// common shape: `users.last_order_id` and `orders.user_id`) make the whole history unsquashable,
// although there is not a single row to load.
#[tokio::test]
async fn a_cycle_of_foreign_keys_between_empty_tables_does_not_stop_the_squash() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE users (id int PRIMARY KEY, last_order_id int);\n\
             CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));\n\
             ALTER TABLE users ADD FOREIGN KEY (last_order_id) REFERENCES orders (id);\n",
        ),
        ("001_init/down.sql", "DROP TABLE users, orders CASCADE;\n"),
    ]);
    let db = database().await;
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "001", "--no-test"],
        0,
    );
}

// Regression (review 16): the refusal of a cycle says "or make one of the keys DEFERRABLE",
// but `in_key_order` never looks at deferrability: a cycle through a DEFERRABLE INITIALLY
// DEFERRED key (which the baseline's single transaction could load in any order) is refused all
// the same, so the advice the message gives does not work.
#[tokio::test]
async fn a_cycle_through_a_deferred_key_is_squashed_as_the_refusal_advises() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE users (id int PRIMARY KEY, last_order_id int);\n\
             CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));\n\
             ALTER TABLE users ADD FOREIGN KEY (last_order_id) REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED;\n",
        ),
        ("001_init/down.sql", "DROP TABLE users, orders CASCADE;\n"),
        (
            "002_seed/up.sql",
            "INSERT INTO users VALUES (1, 10);\nINSERT INTO orders VALUES (10, 1);\n",
        ),
        ("002_seed/down.sql", "DELETE FROM orders; DELETE FROM users;\n"),
    ]);
    let (_fresh, client) = through_baseline(root.path(), "002").await;
    assert_eq!(
        rows(&client, "SELECT id || ' ' || last_order_id FROM users").await,
        ["1 10"]
    );
}

// Regression (review 16): a table referencing itself is loaded "in one statement, which checks
// its keys at the end" (`in_key_order`'s doc), but `table_rows` splits the rows into INSERTs of
// `CHUNK` (1000) rows: a row of the first statement referencing a row of the second violates
// the key, so a tree of more than 1000 nodes whose parent sits later in the heap cannot be
// squashed (the chain inserted it in one statement).
#[tokio::test]
async fn a_self_referencing_table_of_more_than_a_chunk_is_squashed() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE nodes (id int PRIMARY KEY, parent_id int REFERENCES nodes (id));\n\
             INSERT INTO nodes SELECT g, CASE WHEN g < 1500 THEN 1500 END FROM generate_series(1, 1500) g;\n",
        ),
        ("001_init/down.sql", "DROP TABLE nodes;\n"),
    ]);
    let (_fresh, client) = through_baseline(root.path(), "001").await;
    assert_eq!(
        rows(&client, "SELECT count(*)::text FROM nodes").await,
        ["1500"]
    );
}

// Regression (review 16): `rows::sequences` writes a `setval` only for a sequence whose
// `is_called` is true, so one restarted by `ALTER SEQUENCE ... RESTART WITH` (or `setval(s, n,
// false)`: `last_value` n, not called) comes back at its start in the baseline; the digest sees
// it and `squash` refuses a perfectly ordinary history.
#[tokio::test]
async fn a_restarted_sequence_is_squashed_where_it_was() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE tickets (id serial PRIMARY KEY, title text);\n\
             ALTER SEQUENCE tickets_id_seq RESTART WITH 1000;\n",
        ),
        ("001_init/down.sql", "DROP TABLE tickets;\n"),
    ]);
    let (_fresh, client) = through_baseline(root.path(), "001").await;
    assert_eq!(
        rows(&client, "SELECT nextval('tickets_id_seq')::text").await,
        ["1000"]
    );
}

// Regression (review 16): with the history table in a schema of its own (`--history-table
// meta.revisions`), the chain's scratch database has that schema, the catalog read keeps it
// (only the tables are excluded), so the baseline's up.sql creates it; the proof runs up.sql in
// a database without a history table and passes, but every real empty database already has the
// schema (the runner creates it before the baseline runs) and the baseline fails.
#[tokio::test]
async fn a_history_table_in_its_own_schema_does_not_break_the_baseline() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE things (id int PRIMARY KEY);\nINSERT INTO things VALUES (1);\n",
        ),
        ("001_init/down.sql", "DROP TABLE things;\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    let table = ["--history-table", "meta.revisions"];
    let squash = [&table[..], &["squash", "--through", "001", "--no-test"]].concat();
    run(root.path(), db.url(), &squash, 0);
    run(
        root.path(),
        fresh.url(),
        &[&table[..], &["upgrade"]].concat(),
        0,
    );
}

/// `url` (the test server's `key=value` form, or a URL) with `-c setting` for every session it
/// opens.
fn with_setting(url: &str, setting: &str) -> String {
    match url.contains("://") {
        true => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let encoded = format!("-c {setting}")
                .replace(' ', "%20")
                .replace('=', "%3D")
                .replace(',', "%2C");
            format!("{url}{sep}options={encoded}")
        }
        false => format!("{url} options='-c {setting}'"),
    }
}

// Regression (review 16): the rows are spelled by the session that runs `squash`
// (`quote_nullable` of each value's text form) without fixing the settings that form depends
// on, unlike pg_dump (DateStyle=ISO, extra_float_digits=3, ...). Squashed from a session with
// DateStyle `SQL, DMY` (a server's, a role's or a URL's), 2 January is written `02/01/2026`;
// the proof reads it back in the same style and passes; a server with the default `ISO, MDY`
// reads it as 1 February.
#[tokio::test]
async fn the_rows_do_not_depend_on_the_datestyle_of_the_session_that_squashed() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE holidays (day date PRIMARY KEY, at timestamp);\n\
             INSERT INTO holidays VALUES ('2026-01-02', '2026-01-02 10:00');\n",
        ),
        ("001_init/down.sql", "DROP TABLE holidays;\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    let dmy = with_setting(db.url(), "DateStyle=SQL,DMY");
    run(
        root.path(),
        &dmy,
        &["squash", "--through", "001", "--no-test"],
        0,
    );
    run(root.path(), fresh.url(), &["upgrade"], 0);
    let client = fresh.connect().await.expect("connect");
    assert_eq!(
        rows(&client, "SELECT to_char(day, 'YYYY-MM-DD') || ' ' || to_char(at, 'YYYY-MM-DD HH24:MI') FROM holidays").await,
        ["2026-01-02 2026-01-02 10:00"]
    );
}

// Regression (review 16): same root cause with `extra_float_digits`: a session with 0 (what
// older clients set) spells 0.1 + 0.2 as `0.3`; the digest rounds both sides the same way, so
// the proof passes and the baseline silently holds another number.
#[tokio::test]
async fn the_rows_do_not_depend_on_the_float_digits_of_the_session_that_squashed() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE measures (id int PRIMARY KEY, x float8);\n\
             INSERT INTO measures VALUES (1, 0.1::float8 + 0.2::float8);\n",
        ),
        ("001_init/down.sql", "DROP TABLE measures;\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    let rounded = with_setting(db.url(), "extra_float_digits=0");
    run(
        root.path(),
        &rounded,
        &["squash", "--through", "001", "--no-test"],
        0,
    );
    run(root.path(), fresh.url(), &["upgrade"], 0);
    let client = fresh.connect().await.expect("connect");
    assert_eq!(
        rows(
            &client,
            "SELECT (x = 0.1::float8 + 0.2::float8)::text FROM measures"
        )
        .await,
        ["true"]
    );
}

// Regression (review 16): after `squash --drop`, `squash --through` a later revision writes
// `tests/baseline.rs` again, whose `prove_baseline` always refuses ("revision 001_init was
// dropped after the squash, so there is no chain left to prove the baseline against"): the
// command hands the user a test that can never pass.
#[tokio::test]
async fn squash_after_drop_writes_no_test_that_cannot_pass() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE things (id int PRIMARY KEY);\n",
        ),
        ("001_init/down.sql", "DROP TABLE things;\n"),
        ("002_seed/up.sql", "INSERT INTO things VALUES (1);\n"),
        ("002_seed/down.sql", "DELETE FROM things;\n"),
        ("003_more/up.sql", "INSERT INTO things VALUES (2);\n"),
        ("003_more/down.sql", "DELETE FROM things WHERE id = 2;\n"),
    ]);
    let db = database().await;
    run(root.path(), db.url(), &["squash", "--through", "002"], 0);
    run(root.path(), db.url(), &["upgrade"], 0);
    run(root.path(), db.url(), &["squash", "--drop"], 0);
    run(root.path(), db.url(), &["squash", "--through", "003"], 0);
    if root.path().join("tests/baseline.rs").exists() {
        let migrations = loaded(root.path());
        let mut client = db.connect().await.expect("connect");
        let proof = runner(&migrations, &db).prove_baseline(&mut client).await;
        assert!(
            proof.is_ok(),
            "squash wrote tests/baseline.rs, and what it runs fails: {}",
            proof.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }
}

// Regression (review 16): `Migrator::without_baseline`'s doc promises `migrate upgrade
// --no-baseline`, which the CLI does not have.
#[tokio::test]
async fn upgrade_no_baseline_runs_the_chain() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE things (id int PRIMARY KEY);\n",
        ),
        ("001_init/down.sql", "DROP TABLE things;\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "001", "--no-test"],
        0,
    );
    run(root.path(), fresh.url(), &["upgrade", "--no-baseline"], 0);
    let client = fresh.connect().await.expect("connect");
    assert_eq!(
        rows(&client, "SELECT method FROM schema_revisions").await,
        ["upgrade"]
    );
}

// Regression (review 16): `table_rows` reads each value as `quote_nullable(t.col)`, which
// PostgreSQL cannot resolve for a `"char"` column (`quote_nullable(text)` and
// `quote_nullable(anyelement)` both fit: "function quote_nullable("char") is not unique"), so a
// history with such a column (pg_catalog's own flag type, used for one-letter codes) cannot be
// squashed at all. Casting the value to text first would do.
#[tokio::test]
async fn a_char_column_is_squashed() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE flags (id int PRIMARY KEY, code \"char\" NOT NULL);\n\
             INSERT INTO flags VALUES (1, 'a'), (2, 'z');\n",
        ),
        ("001_init/down.sql", "DROP TABLE flags;\n"),
    ]);
    let (baseline, chain) = both_ways(root.path(), "001", &["flags"]).await;
    assert_eq!(baseline, chain);
}

// Regression (review 16): the rows are read by the role running `squash`, with row-level
// security in force (no `SET row_security = off`, which pg_dump uses so that it errors rather
// than dump a part). For a table with FORCE ROW LEVEL SECURITY, its owner sees only the rows
// its policies show; the digest sees the same part on both sides, so the proof passes, and the
// baseline silently leaves the hidden rows out.
#[tokio::test]
async fn rows_hidden_by_a_forced_policy_are_not_lost() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE notes (id int PRIMARY KEY, visible boolean NOT NULL);\n\
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
             ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n\
             CREATE POLICY shown ON notes FOR SELECT USING (visible);\n\
             CREATE POLICY added ON notes FOR INSERT WITH CHECK (true);\n",
        ),
        ("001_init/down.sql", "DROP TABLE notes;\n"),
        (
            "002_seed/up.sql",
            "INSERT INTO notes VALUES (1, true), (2, false);\n",
        ),
        ("002_seed/down.sql", "SELECT 1;\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    let role = format!("review16_{}", db.name().rsplit('_').next().expect("suffix"));
    let admin = db.connect().await.expect("connect");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN CREATEDB; ALTER DATABASE {} OWNER TO {role}; ALTER DATABASE {} OWNER TO {role};",
            db.name(),
            fresh.name()
        ))
        .await
        .expect("role");
    let as_role = |url: &str| url.replace("user=postgres", &format!("user={role}"));
    assert!(as_role(db.url()).contains(&role), "{}", db.url());
    run(
        root.path(),
        &as_role(db.url()),
        &["squash", "--through", "002", "--no-test"],
        0,
    );
    run(root.path(), &as_role(fresh.url()), &["upgrade"], 0);
    // Counted by the superuser, whom no policy hides anything from.
    let client = fresh.connect().await.expect("connect");
    assert_eq!(
        rows(&client, "SELECT count(*)::text FROM notes").await,
        ["2"]
    );
}

// Regression (review 16): `table_rows` turns off the triggers of the table it reads, and a
// partitioned table is read and written through its parent, so a trigger created on one
// partition only fires again on the copied rows: the proof sees the difference and `squash`
// refuses the history.
#[tokio::test]
async fn a_trigger_on_one_partition_does_not_run_again() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE events (id int, kind text, hits int) PARTITION BY LIST (kind);\n\
             CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');\n\
             CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b');\n\
             CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.hits := NEW.hits + 1; RETURN NEW; END $$;\n\
             CREATE TRIGGER events_a_bump BEFORE INSERT ON events_a FOR EACH ROW EXECUTE FUNCTION bump();\n\
             INSERT INTO events VALUES (1, 'a', 0), (2, 'b', 10);\n",
        ),
        ("001_init/down.sql", "DROP TABLE events; DROP FUNCTION bump();\n"),
    ]);
    let (baseline, chain) = both_ways(root.path(), "001", &["events"]).await;
    assert_eq!(baseline, chain);
}

// Regression (review 16): the schema model does not read rules (nor inheritance outside
// partitioning, custom range types, event triggers, publications: the README's "What the model
// does not read"), and the proof compared through that model, so `squash` wrote and "proved"
// a baseline without them. It now refuses, naming what it cannot copy, and writes nothing.
#[tokio::test]
async fn a_rule_is_refused_by_the_squash() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE items (id int PRIMARY KEY);\n\
             CREATE TABLE items_log (id int);\n\
             CREATE RULE items_logged AS ON INSERT TO items DO ALSO INSERT INTO items_log VALUES (NEW.id);\n",
        ),
        ("001_init/down.sql", "DROP TABLE items, items_log;\n"),
    ]);
    let db = database().await;
    let (_, err) = run(
        root.path(),
        db.url(),
        &["squash", "--through", "001", "--no-test"],
        1,
    );
    assert!(
        err.contains("cannot squash: the revisions through 001_init create rule items_logged on public.items"),
        "{err}"
    );
    assert!(!root.path().join("m/baseline").exists());
}

// Regression (review 16): as above, for a table inheriting from another (the baseline created
// the child as a table of its own, so the parent no longer saw the child's rows).
#[tokio::test]
async fn an_inheritance_child_is_refused_by_the_squash() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE parent (id int, body text);\n\
             CREATE TABLE child (extra text) INHERITS (parent);\n\
             INSERT INTO parent VALUES (1, 'p');\n\
             INSERT INTO child VALUES (2, 'c', 'e');\n",
        ),
        ("001_init/down.sql", "DROP TABLE parent CASCADE;\n"),
    ]);
    let db = database().await;
    let (_, err) = run(
        root.path(),
        db.url(),
        &["squash", "--through", "001", "--no-test"],
        1,
    );
    assert!(
        err.contains("table public.child, which inherits from parent"),
        "{err}"
    );
    assert!(!root.path().join("m/baseline").exists());
}

// Regression (review 16): `rebase` renumbers a revision the baseline replaces (`002_seed` ->
// `004_seed`) and succeeds; the scan then takes the missing 002 for one dropped by `squash
// --drop` (rebuilt from the manifest) and 004_seed for a new revision, so the same seed runs a
// second time: after the baseline on an empty database (here a duplicate key), after the chain
// on one that applied it. Rebase should refuse a revision the manifest lists, naming the baseline.
#[tokio::test]
async fn rebase_refuses_a_revision_the_baseline_replaces() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE things (id int PRIMARY KEY);\n",
        ),
        ("001_init/down.sql", "DROP TABLE things;\n"),
        ("002_seed/up.sql", "INSERT INTO things VALUES (1);\n"),
        ("002_seed/down.sql", "DELETE FROM things;\n"),
        ("003_more/up.sql", "INSERT INTO things VALUES (3);\n"),
        ("003_more/down.sql", "DELETE FROM things WHERE id = 3;\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "002", "--no-test"],
        0,
    );
    let (out, _, code) = migrate(&root.path().join("m"), db.url(), &["rebase", "002_seed"]);
    let (o, e, _) = migrate(&root.path().join("m"), fresh.url(), &["upgrade"]);
    assert!(
        code != 0 && root.path().join("m/002_seed").is_dir(),
        "rebase renumbered a squashed revision:\n{out}\nand an empty database's upgrade then says:\n{o}\n{e}"
    );
}

// Regression (review 16): the runner's read options leave privileges out (`privileges: false`),
// so the baseline's schema has no GRANT or REVOKE and the proof, comparing without them, passes:
// every database built from the baseline lacks the grants the squashed revisions made.
#[tokio::test]
async fn grants_survive_the_squash() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE things (id int PRIMARY KEY);\nGRANT SELECT ON things TO PUBLIC;\n",
        ),
        ("001_init/down.sql", "DROP TABLE things;\n"),
    ]);
    let (_fresh, client) = through_baseline(root.path(), "001").await;
    assert_eq!(
        rows(
            &client,
            "SELECT has_table_privilege('public', 'things', 'SELECT')::text"
        )
        .await,
        ["true"]
    );
}

// Regression (review 16): a table whose name holds a line break cannot be squashed: the diff's
// hazard comments (`-- DESTRUCTIVE: table ...`, migrations-schema `change.rs`) print the name
// raw, so its rest becomes SQL and the proof of the down script fails ("syntax error at or
// near lines"); the header `squash` writes over up.sql lists the names the same way, without the
// one-line guard offline.rs keeps for names (`comment`).
#[tokio::test]
async fn a_name_with_a_line_break_does_not_break_the_header() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE \"two\nlines\" (id int);\nINSERT INTO \"two\nlines\" VALUES (1);\n",
        ),
        ("001_init/down.sql", "DROP TABLE \"two\nlines\";\n"),
    ]);
    let (db, fresh) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "001", "--no-test"],
        0,
    );
    run(root.path(), fresh.url(), &["upgrade"], 0);
}
