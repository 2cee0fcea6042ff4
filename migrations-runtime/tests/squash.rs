//! `squash --through REV` against a real PostgreSQL: the baseline it writes holds the schema and
//! the rows of the revisions it replaces (seeds, trigger-made rows, sequences, a materialized
//! view), an empty database reaches head through it and equals one that ran the chain, a
//! database in the middle keeps the chain, the proof fails for a baseline that lies, and `--drop`
//! removes the squashed revisions only once no database is below the baseline.

mod common;

use common::squash::{history, loaded, run, runner};
use common::{database, write};
use migrations_runtime::testing::Snapshot;
use tokio_postgres::Client;

/// Three revisions with a schema and rows worth copying, and one after them.
fn scenarios() -> tempfile::TempDir {
    history(
        &[
            (
                "001_init/up.sql",
                "CREATE TYPE kind AS ENUM ('fire', 'medical');\n\
                 CREATE TABLE scenarios (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, kind kind NOT NULL, tags text[], meta jsonb, weight numeric(6,2), at timestamptz DEFAULT now(), shout text GENERATED ALWAYS AS (upper(title)) STORED);\n\
                 CREATE TABLE steps (id serial PRIMARY KEY, scenario_id integer NOT NULL REFERENCES scenarios(id), parent_id integer REFERENCES steps(id), body text, data bytea);\n\
                 CREATE TABLE audit (id bigserial PRIMARY KEY, what text NOT NULL);\n\
                 CREATE FUNCTION audit_step() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (what) VALUES ('step ' || NEW.id); RETURN NEW; END $$;\n\
                 CREATE TRIGGER steps_audit AFTER INSERT ON steps FOR EACH ROW EXECUTE FUNCTION audit_step();\n",
            ),
            (
                "001_init/down.sql",
                "DROP TABLE audit, steps, scenarios; DROP FUNCTION audit_step(); DROP TYPE kind;\n",
            ),
            (
                "002_seed/up.sql",
                "INSERT INTO scenarios (title, kind, tags, meta, weight, at) VALUES ('House fire', 'fire', '{a,\"b c\"}', '{\"x\": [1, 2]}', 1.5, '2026-01-01 10:00+02'), ('It''s a \\ heart attack', 'medical', NULL, NULL, NULL, '2026-01-02 00:00Z');\n\
                 INSERT INTO steps (scenario_id, body, data) VALUES (1, 'call', '\\x00ff'), (1, 'dispatch', NULL);\n\
                 INSERT INTO steps (scenario_id, parent_id, body) VALUES (2, 1, E'line\\nbreak');\n",
            ),
            (
                "002_seed/down.sql",
                "DELETE FROM steps; DELETE FROM scenarios; DELETE FROM audit;\n",
            ),
            (
                "003_more/up.sql",
                "CREATE MATERIALIZED VIEW scenario_counts AS SELECT kind, count(*) AS n FROM scenarios GROUP BY kind;\n\
                 CREATE SEQUENCE tickets START 100;\nSELECT nextval('tickets');\nSELECT nextval('tickets');\n",
            ),
            (
                "003_more/down.sql",
                "DROP SEQUENCE tickets; DROP MATERIALIZED VIEW scenario_counts;\n",
            ),
            ("004_after/up.sql", "ALTER TABLE scenarios ADD COLUMN notes text;\n"),
            ("004_after/down.sql", "ALTER TABLE scenarios DROP COLUMN notes;\n"),
        ],
    )
}

/// Every table's rows as text, sorted, and the next value of every sequence: what two
/// databases with the same data agree on.
async fn contents(client: &Client) -> Vec<String> {
    let snapshot = Snapshot::take(client).await.expect("snapshot");
    let mut out = Vec::new();
    for table in snapshot.catalog().tables.keys() {
        let sql = format!(
            "SELECT coalesce(string_agg(t::text, ' | ' ORDER BY t::text), '') FROM {table} t"
        );
        let rows: String = client.query_one(&sql, &[]).await.expect("rows").get(0);
        out.push(format!("{table}: {rows}"));
    }
    for sequence in snapshot.catalog().sequences.keys() {
        let next: i64 = client
            .query_one(&format!("SELECT nextval('{sequence}')"), &[])
            .await
            .expect("nextval")
            .get(0);
        out.push(format!("{sequence} next {next}"));
    }
    let counts: Vec<String> = client
        .query(
            "SELECT kind::text || '=' || n FROM scenario_counts ORDER BY 1",
            &[],
        )
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    out.push(format!("scenario_counts: {}", counts.join(", ")));
    out
}

/// How each history row got there, in version order.
async fn methods(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT version || ' ' || method FROM schema_revisions ORDER BY version",
            &[],
        )
        .await
        .expect("history")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn an_empty_database_reaches_head_through_the_baseline_and_equals_the_chain() {
    let root = scenarios();
    let (db, chain_db) = (database().await, database().await);
    let (out, _) = run(root.path(), db.url(), &["squash", "--through", "003"], 0);
    assert!(
        out.contains("in place of 3 revision(s) through 003_more"),
        "{out}"
    );
    let up = std::fs::read_to_string(root.path().join("m/baseline/up.sql")).expect("up.sql");
    for expected in [
        "OVERRIDING SYSTEM VALUE VALUES",
        "E'It''s a \\\\ heart attack'",
        "ALTER TABLE public.steps DISABLE TRIGGER steps_audit;",
        "SELECT pg_catalog.setval('public.tickets', 101, true);",
        "REFRESH MATERIALIZED VIEW public.scenario_counts;",
        "--   rows: public.scenarios (2), public.audit (3), public.steps (3)",
    ] {
        assert!(up.contains(expected), "`{expected}` in:\n{up}");
    }
    // A generated column is computed, not copied.
    assert!(
        up.contains(
            "INSERT INTO public.scenarios (id, title, kind, tags, meta, weight, at) OVERRIDING"
        ),
        "{up}"
    );
    let test = std::fs::read_to_string(root.path().join("tests/baseline.rs")).expect("test");
    assert!(
        test.contains("const DIR: &str = \"m\";") && test.contains("prove_baseline"),
        "{test}"
    );

    let (out, _) = run(root.path(), db.url(), &["upgrade"], 0);
    assert!(
        out.contains("ran the baseline in place of 3 revisions, 001_init to 003_more"),
        "{out}"
    );
    assert!(out.contains("applied 004_after"), "{out}");
    let client = db.connect().await.expect("connect");
    assert_eq!(
        methods(&client).await,
        [
            "001 baseline",
            "002 baseline",
            "003 baseline",
            "004 upgrade"
        ]
    );
    run(root.path(), db.url(), &["check"], 0);
    run(root.path(), db.url(), &["drift"], 0);

    // The same directory without its baseline: the chain, revision by revision.
    let migrations = loaded(root.path());
    let mut chain = chain_db.connect().await.expect("connect");
    runner(&migrations, &chain_db)
        .without_baseline()
        .upgrade(&mut chain, "head")
        .await
        .expect("the chain runs");
    assert_eq!(
        methods(&chain).await,
        ["001 upgrade", "002 upgrade", "003 upgrade", "004 upgrade"]
    );
    let (a, b) = (
        Snapshot::take(&client).await.expect("snapshot"),
        Snapshot::take(&chain).await.expect("snapshot"),
    );
    assert_eq!(b.diff(&a), Vec::<String>::new());
    assert_eq!(contents(&client).await, contents(&chain).await);

    // And the proof the generated test runs passes.
    let proof = runner(&migrations, &db)
        .prove_baseline(&mut chain)
        .await
        .expect("proven");
    assert_eq!(proof.level, 3);
}

#[tokio::test]
async fn a_database_in_the_middle_keeps_the_chain() {
    let root = scenarios();
    let db = database().await;
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    assert!(!root.path().join("tests").exists());
    let (out, _) = run(root.path(), db.url(), &["upgrade", "002"], 0);
    assert!(!out.contains("baseline"), "{out}");
    let (out, _) = run(root.path(), db.url(), &["upgrade"], 0);
    assert!(
        out.contains("applied 003_more") && out.contains("applied 004_after"),
        "{out}"
    );
    let client = db.connect().await.expect("connect");
    assert_eq!(
        methods(&client).await,
        ["001 upgrade", "002 upgrade", "003 upgrade", "004 upgrade"]
    );
    // Down through the chain, which is still there, and up again through the baseline.
    run(root.path(), db.url(), &["downgrade", "base"], 0);
    let (out, _) = run(root.path(), db.url(), &["upgrade", "003"], 0);
    assert!(out.contains("ran the baseline"), "{out}");
}

#[tokio::test]
async fn the_proof_fails_for_a_baseline_that_lost_a_row_and_the_build_for_an_edited_one() {
    let root = scenarios();
    let db = database().await;
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let dir = root.path().join("m");
    let up_path = dir.join("baseline/up.sql");
    let up = std::fs::read_to_string(&up_path).expect("up.sql");

    // Edited by hand: the build refuses it, naming the file and the command.
    let edited = up.replace("'dispatch'", "'Dispatch'");
    std::fs::write(&up_path, &edited).expect("edit");
    let (_, err) = run(root.path(), db.url(), &["check"], 1);
    assert!(
        err.contains("m/baseline/up.sql` changed since `migrate squash` proved it")
            && err.contains("squash --through 003` again"),
        "{err}"
    );

    // Forged with a matching checksum, so the build accepts it: the proof still fails.
    let list = std::fs::read_to_string(dir.join("baseline/squashed.list")).expect("list");
    let old = migrations_core::source::checksum(&up).to_hex();
    let new = migrations_core::source::checksum(&edited).to_hex();
    std::fs::write(dir.join("baseline/squashed.list"), list.replace(&old, &new)).expect("forge");
    let migrations = loaded(root.path());
    let mut client = db.connect().await.expect("connect");
    let error = runner(&migrations, &db)
        .prove_baseline(&mut client)
        .await
        .expect_err("the rows differ");
    let text = error.to_string();
    assert!(
        text.contains("does not hold the rows")
            && text.contains("public.steps: the chain has 3 rows"),
        "{text}"
    );
}

#[tokio::test]
async fn an_edited_or_inserted_revision_makes_the_baseline_stale() {
    let root = scenarios();
    let db = database().await;
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let dir = root.path().join("m");
    let seed = dir.join("002_seed/up.sql");
    let original = std::fs::read_to_string(&seed).expect("seed");
    std::fs::write(&seed, format!("{original}-- more\n")).expect("edit");
    let (_, err) = run(root.path(), db.url(), &["upgrade"], 1);
    assert!(
        err.contains("no longer matches revision `002_seed`: its up script changed since the baseline was proven"),
        "{err}"
    );
    std::fs::write(&seed, original).expect("restore");
    write(
        &dir,
        &[
            ("0025_late/up.sql", "SELECT 1;\n"),
            ("0025_late/down.sql", "SELECT 1;\n"),
        ],
    );
    let (_, err) = run(root.path(), db.url(), &["upgrade"], 1);
    assert!(
        err.contains("`0025_late`: it sorts before `003`") && err.contains("rebase 0025_late"),
        "{err}"
    );
    // Nothing ran.
    let client = db.connect().await.expect("connect");
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn drop_waits_until_no_database_is_below_the_baseline() {
    let root = scenarios();
    let (low, high, middle, fresh) = (
        database().await,
        database().await,
        database().await,
        database().await,
    );
    run(root.path(), high.url(), &["squash", "--through", "003"], 0);
    run(root.path(), low.url(), &["upgrade", "001"], 0);
    run(root.path(), middle.url(), &["upgrade", "002"], 0);
    run(root.path(), high.url(), &["upgrade"], 0);
    let (_, err) = run(root.path(), low.url(), &["squash", "--drop"], 1);
    assert!(
        err.contains("has not applied 002_seed") && err.contains("Nothing was removed"),
        "{err}"
    );
    assert!(root.path().join("m/001_init").is_dir());

    let (out, _) = run(root.path(), high.url(), &["squash", "--drop"], 0);
    assert!(
        out.contains("removed 3 revision(s) through 003_more"),
        "{out}"
    );
    assert!(out.contains("tests/baseline.rs"), "{out}");
    assert!(!root.path().join("m/001_init").exists() && root.path().join("m/004_after").is_dir());
    assert!(!root.path().join("tests/baseline.rs").exists());

    // The database that applied the chain still matches; an empty one runs the baseline.
    run(root.path(), high.url(), &["check"], 0);
    let (out, _) = run(root.path(), fresh.url(), &["upgrade"], 0);
    assert!(out.contains("ran the baseline"), "{out}");
    run(root.path(), fresh.url(), &["check"], 0);
    // One below it is refused before anything runs, and a downgrade into the range too.
    let (_, err) = run(root.path(), middle.url(), &["upgrade"], 1);
    assert!(
        err.contains("must run revision 003_more, which was squashed into the baseline and its directory dropped"),
        "{err}"
    );
    let (_, err) = run(root.path(), high.url(), &["downgrade", "002"], 1);
    assert!(err.contains("squashed"), "{err}");
    // Down to base goes through the baseline's down script.
    let (out, _) = run(root.path(), fresh.url(), &["downgrade", "base"], 0);
    assert!(
        out.contains("reverted the baseline in place of 3 revisions"),
        "{out}"
    );
    let client = fresh.connect().await.expect("connect");
    assert!(methods(&client).await.is_empty());
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'schema_revisions%'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn the_offline_script_runs_the_baseline_with_psql() {
    let root = scenarios();
    let (db, offline) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let (script, _) = run(root.path(), db.url(), &["upgrade", "--sql", "head"], 0);
    assert!(
        script
            .contains("-- the baseline (up, `baseline/up.sql`), in place of 001_init to 003_more"),
        "{script}"
    );
    let file = root.path().join("upgrade.sql");
    std::fs::write(&file, &script).expect("script");
    let psql = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&file)
        .arg(offline.url())
        .output()
        .expect("psql runs");
    assert!(
        psql.status.success(),
        "{}",
        String::from_utf8_lossy(&psql.stderr)
    );
    run(root.path(), offline.url(), &["check"], 0);
    run(root.path(), db.url(), &["upgrade"], 0);
    let (a, b) = (
        db.connect().await.expect("connect"),
        offline.connect().await.expect("connect"),
    );
    assert_eq!(contents(&a).await, contents(&b).await);
}
