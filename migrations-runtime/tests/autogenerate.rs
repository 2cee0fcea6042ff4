//! `revision --autogenerate`, `check --schema` and `baseline` end to end through the `migrate`
//! binary: revisions written from a declared schema, staged as the safety lint advises, then run
//! by the runner on a database with rows, both ways.

mod common;

use common::{database, migrate, write};

const BASE: &str = "CREATE TYPE state AS ENUM ('open', 'closed');
CREATE TABLE callers (id bigint PRIMARY KEY, name varchar(100));
CREATE TABLE calls (id bigint PRIMARY KEY, caller_id bigint, state state NOT NULL DEFAULT 'open', note varchar(50));
CREATE TABLE legacy (x int);
CREATE VIEW open_calls AS SELECT id FROM calls WHERE state = 'open';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;";

/// Every kind of change the issue names: tables and columns added and dropped, a type change,
/// an index on an existing table, a foreign key, an enum label, a view, a function, a trigger.
const DECLARED: &str = "CREATE TYPE state AS ENUM ('open', 'held', 'closed');
CREATE TABLE callers (id bigint PRIMARY KEY, name text);
CREATE TABLE calls (id bigint PRIMARY KEY, caller_id bigint REFERENCES callers (id), state state NOT NULL DEFAULT 'open', note text, priority int NOT NULL DEFAULT 0);
CREATE INDEX calls_state ON calls (state);
CREATE TABLE units (id int PRIMARY KEY, label text NOT NULL);
CREATE INDEX units_label ON units (label);
CREATE VIEW open_calls AS SELECT id, priority FROM calls WHERE state = 'open';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.priority := coalesce(NEW.priority, 0); RETURN NEW; END$$;
CREATE TRIGGER calls_touch BEFORE INSERT ON calls FOR EACH ROW EXECUTE FUNCTION touch();";

#[tokio::test]
async fn autogenerate_writes_staged_revisions_that_the_runner_applies_both_ways() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    write(
        &dir,
        &[
            ("001_base/up.sql", BASE),
            ("001_base/down.sql", "DROP VIEW open_calls; DROP TABLE calls, callers, legacy; DROP TYPE state; DROP FUNCTION touch();"),
        ],
    );
    write(root.path(), &[("schema.sql", DECLARED)]);
    let db = database().await;
    let url = db.url();
    // Locked, so that the generated revisions must be added to the lock file for the commands
    // below to load the directory.
    let (_, err, code) = migrate(&dir, url, &["lock"]);
    assert_eq!(code, 0, "{err}");
    let (out, err, code) = migrate(
        &dir,
        url,
        &[
            "check",
            "--schema",
            root.path().join("schema.sql").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1, "head differs from the declared schema: {out}{err}");
    assert!(out.contains("table public.units: missing"), "{out}");

    let (out, err, code) = migrate(
        &dir,
        url,
        &["revision", "-m", "dispatch units", "--autogenerate"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("proven in a scratch database"), "{out}");
    assert!(
        out.contains("migrations.lock"),
        "the lock file is rewritten: {out}"
    );
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let labels = read("002_dispatch_units_labels/up.sql");
    assert!(
        labels.starts_with("-- migrate: no-transaction\n"),
        "{labels}"
    );
    assert!(
        labels.contains("ALTER TYPE public.state ADD VALUE 'held' BEFORE 'closed';"),
        "{labels}"
    );
    let schema = read("003_dispatch_units_schema/up.sql");
    assert!(
        !schema.starts_with("-- migrate: no-transaction"),
        "{schema}"
    );
    for expected in [
        "-- DESTRUCTIVE: table public.legacy: drops the table and every row in it",
        "ALTER TABLE public.calls ADD CONSTRAINT calls_caller_id_fkey FOREIGN KEY (caller_id) REFERENCES callers(id) NOT VALID;",
        "ALTER TABLE public.calls ALTER COLUMN note TYPE text;",
        "CREATE INDEX units_label ON public.units USING btree (label);",
        "CREATE TRIGGER calls_touch",
    ] {
        assert!(schema.contains(expected), "`{expected}` in:\n{schema}");
    }
    let online = read("004_dispatch_units_online/up.sql");
    assert!(
        online.starts_with("-- migrate: no-transaction\n"),
        "{online}"
    );
    assert!(
        online
            .contains("CREATE INDEX CONCURRENTLY calls_state ON public.calls USING btree (state);"),
        "{online}"
    );
    assert!(
        online.contains("ALTER TABLE public.calls VALIDATE CONSTRAINT calls_caller_id_fkey;"),
        "{online}"
    );
    assert!(read("004_dispatch_units_online/down.sql")
        .contains("DROP INDEX CONCURRENTLY public.calls_state;"));

    // The runner applies them to a database with rows, and takes them back.
    let (_, err, code) = migrate(&dir, url, &["upgrade", "001"]);
    assert_eq!(code, 0, "{err}");
    let client = db.connect().await.expect("connect");
    client
        .batch_execute("INSERT INTO callers VALUES (1, 'Ann'); INSERT INTO calls VALUES (1, 1, 'open', 'smoke');")
        .await
        .expect("rows");
    let (out, err, code) = migrate(&dir, url, &["upgrade"]);
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = migrate(&dir, url, &["drift"]);
    assert_eq!(code, 0, "{out}{err}");
    let note: String = client
        .query_one("SELECT note FROM calls WHERE id = 1", &[])
        .await
        .expect("row kept")
        .get(0);
    assert_eq!(note, "smoke");
    let (out, err, code) = migrate(
        &dir,
        url,
        &[
            "check",
            "--schema",
            root.path().join("schema.sql").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (_, err, code) = migrate(&dir, url, &["downgrade", "001"]);
    assert_eq!(code, 0, "{err}");
    let (out, err, code) = migrate(&dir, url, &["drift"]);
    assert_eq!(code, 0, "back at 001 exactly: {out}{err}");

    let (out, err, code) = migrate(&dir, url, &["revision", "-m", "again", "--autogenerate"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing to generate"), "{err}");
    assert!(!dir.join("005_again").exists(), "no file written");
}

#[tokio::test]
async fn autogenerate_without_a_declared_schema_names_where_it_looked() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    write(
        &dir,
        &[
            ("001_a/up.sql", "CREATE TABLE a (x int);"),
            ("001_a/down.sql", "DROP TABLE a;"),
        ],
    );
    let db = database().await;
    let (_, err, code) = migrate(&dir, db.url(), &["revision", "-m", "x", "--autogenerate"]);
    assert_ne!(code, 0);
    let looked = root.path().join("schema.sql");
    assert!(
        err.contains(&format!(
            "no declared schema: looked for {}",
            looked.display()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_baseline_reproduces_a_database_that_predates_the_tool() {
    let db = database().await;
    let client = db.connect().await.expect("connect");
    client
        .batch_execute(
            "CREATE TABLE accounts (id serial PRIMARY KEY, email varchar(255) UNIQUE, kind varchar(10) CHECK (kind IN ('staff', 'guest')));
             CREATE VIEW staff AS SELECT id, email FROM accounts WHERE kind = 'staff';
             INSERT INTO accounts (email, kind) VALUES ('a@b.c', 'staff');",
        )
        .await
        .expect("an existing database");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (out, err, code) = migrate(&dir, db.url(), &["baseline", "-m", "existing schema"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("stamp 001"), "{out}");
    assert!(dir.join("001_existing_schema/up.sql").exists());
    let (_, err, code) = migrate(&dir, db.url(), &["stamp", "001"]);
    assert_eq!(code, 0, "{err}");
    let (out, err, code) = migrate(&dir, db.url(), &["drift"]);
    assert_eq!(code, 0, "the baseline is what the database is: {out}{err}");

    let fresh = database().await;
    let (_, err, code) = migrate(&dir, fresh.url(), &["upgrade"]);
    assert_eq!(code, 0, "the baseline builds an empty database: {err}");
    let (out, err, code) = migrate(&dir, fresh.url(), &["drift"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test]
async fn a_declared_rename_is_written_both_ways_and_keeps_the_values() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    write(
        &dir,
        &[
            (
                "001_t/up.sql",
                "CREATE TABLE t (id int PRIMARY KEY, note text);",
            ),
            ("001_t/down.sql", "DROP TABLE t;"),
        ],
    );
    write(
        root.path(),
        &[(
            "schema.sql",
            "CREATE TABLE t (id int PRIMARY KEY, summary text);",
        )],
    );
    let db = database().await;
    let url = db.url();
    let (_, err, code) = migrate(
        &dir,
        url,
        &[
            "revision",
            "-m",
            "bad",
            "--autogenerate",
            "--rename",
            "t.nope=t.summary",
        ],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("table public.t has no column nope to rename"),
        "{err}"
    );
    let args = [
        "revision",
        "-m",
        "summary",
        "--autogenerate",
        "--rename",
        "t.note=t.summary",
    ];
    let (out, err, code) = migrate(&dir, url, &args);
    assert_eq!(code, 0, "{out}{err}");
    let up = std::fs::read_to_string(dir.join("002_summary/up.sql")).expect("up");
    let down = std::fs::read_to_string(dir.join("002_summary/down.sql")).expect("down");
    assert!(
        up.contains("ALTER TABLE public.t RENAME COLUMN note TO summary;"),
        "{up}"
    );
    assert!(
        down.contains("ALTER TABLE public.t RENAME COLUMN summary TO note;"),
        "{down}"
    );
    let (_, err, code) = migrate(&dir, url, &["upgrade", "001"]);
    assert_eq!(code, 0, "{err}");
    let client = db.connect().await.expect("connect");
    client
        .batch_execute("INSERT INTO t VALUES (1, 'kept')")
        .await
        .expect("row");
    let (_, err, code) = migrate(&dir, url, &["upgrade"]);
    assert_eq!(code, 0, "{err}");
    let kept: String = client
        .query_one("SELECT summary FROM t", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(kept, "kept");
    let (_, err, code) = migrate(&dir, url, &["downgrade", "001"]);
    assert_eq!(code, 0, "{err}");
    let kept: String = client
        .query_one("SELECT note FROM t", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(kept, "kept");
}
