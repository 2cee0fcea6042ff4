//! Each kind of change between two schemas: the generated SQL turns one into the other and its
//! reverse turns it back, with rows in the tables where a change must keep them.

use crate::support::round_trip;

const CALLS: &str = "CREATE TABLE calls (id bigint PRIMARY KEY, note varchar(255), score integer);
                     INSERT INTO calls VALUES (1, 'first', 3), (2, 'second', 4);";

#[tokio::test]
async fn columns_are_added_dropped_and_retyped() {
    let to = "CREATE TABLE calls (id bigint PRIMARY KEY, note text NOT NULL DEFAULT '', score bigint, summary text);";
    let script = round_trip(CALLS, to).await;
    assert!(
        script.contains("ALTER TABLE public.calls ALTER COLUMN note TYPE text"),
        "{script}"
    );
    assert!(
        !script.contains("USING note"),
        "varchar to text needs no USING: {script}"
    );
    assert!(script.contains("SET NOT NULL"), "{script}");
}

#[tokio::test]
async fn a_type_change_without_an_assignment_cast_says_using() {
    let from = "CREATE TABLE t (code text, flag text); INSERT INTO t VALUES ('12', 'true');";
    let to = "CREATE TABLE t (code integer, flag boolean);";
    let script = round_trip(from, to).await;
    assert!(
        script.contains("TYPE integer USING code::integer"),
        "{script}"
    );
    assert!(
        script.contains("-- MAY FAIL: column public.t.code"),
        "{script}"
    );
}

#[tokio::test]
async fn enum_labels_are_added_in_place_and_removed_by_a_swap() {
    let from = "CREATE TYPE state AS ENUM ('open', 'closed');
                CREATE TABLE calls (id int, state state DEFAULT 'open', history state[]);
                CREATE VIEW open_calls AS SELECT id FROM calls WHERE state = 'open';
                INSERT INTO calls VALUES (1, 'open', '{open,closed}');";
    let added = "CREATE TYPE state AS ENUM ('new', 'open', 'held', 'closed');
                 CREATE TABLE calls (id int, state state DEFAULT 'open', history state[]);
                 CREATE VIEW open_calls AS SELECT id FROM calls WHERE state = 'open';";
    let script = round_trip(from, added).await;
    assert!(script.contains("ADD VALUE 'new' BEFORE 'open'"), "{script}");
    assert!(
        script.contains("ADD VALUE 'held' BEFORE 'closed'"),
        "{script}"
    );
}

#[tokio::test]
async fn views_are_rebuilt_when_a_column_under_them_changes() {
    let from = "CREATE TABLE calls (id int, note varchar(50));
                CREATE VIEW notes AS SELECT id, note FROM calls;
                CREATE VIEW short_notes AS SELECT id FROM notes WHERE length(note) < 10;
                COMMENT ON VIEW short_notes IS 'kept';";
    let to = "CREATE TABLE calls (id int, note text);
              CREATE VIEW notes AS SELECT id, note FROM calls;
              CREATE VIEW short_notes AS SELECT id FROM notes WHERE length(note) < 10;
              COMMENT ON VIEW short_notes IS 'kept';";
    round_trip(from, to).await;
}

#[tokio::test]
async fn functions_are_replaced_or_recreated_with_what_uses_them() {
    let from = "CREATE TABLE t (x int);
                CREATE FUNCTION f(v int) RETURNS int LANGUAGE sql AS 'SELECT v + 1';
                CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
                CREATE TRIGGER t_g BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION g();
                CREATE VIEW v AS SELECT f(x) AS y FROM t;";
    let to = "CREATE TABLE t (x int);
              CREATE FUNCTION f(v int) RETURNS bigint LANGUAGE sql AS 'SELECT v + 2';
              CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.x := 1; RETURN NEW; END$$;
              CREATE TRIGGER t_g BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION g();
              CREATE VIEW v AS SELECT f(x) AS y FROM t;";
    let script = round_trip(from, to).await;
    assert!(
        script.contains("DROP FUNCTION public.f(v integer)"),
        "a new result type needs a drop: {script}"
    );
    assert!(
        !script.contains("DROP FUNCTION public.g()"),
        "a new body is replaced in place: {script}"
    );
}

#[tokio::test]
async fn constraints_and_indexes_change() {
    let from = "CREATE TABLE a (id int PRIMARY KEY, code text);
                CREATE TABLE b (id int, a_id int REFERENCES a (id));
                ALTER TABLE b ADD CONSTRAINT pos CHECK (id > 0) NOT VALID;
                CREATE INDEX b_a ON b (a_id);";
    let to = "CREATE TABLE a (id int PRIMARY KEY, code text UNIQUE);
              CREATE TABLE b (id int, a_id int REFERENCES a (id) ON DELETE CASCADE, CONSTRAINT pos CHECK (id > 0));
              CREATE INDEX b_a ON b (a_id) WHERE a_id IS NOT NULL;
              CREATE INDEX b_id ON b USING hash (id);";
    let script = round_trip(from, to).await;
    assert!(script.contains("VALIDATE CONSTRAINT pos"), "{script}");
}

#[tokio::test]
async fn tables_partitions_identities_and_security_change() {
    let from = "CREATE TABLE m (at date NOT NULL, v int) PARTITION BY RANGE (at);
                CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
                CREATE TABLE k (id int NOT NULL, x int);";
    let to = "CREATE TABLE m (at date NOT NULL, v int) PARTITION BY RANGE (at);
              CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
              CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
              CREATE UNLOGGED TABLE k (id int GENERATED BY DEFAULT AS IDENTITY, x int);
              ALTER TABLE k ENABLE ROW LEVEL SECURITY;
              CREATE POLICY k_own ON k USING (x > 0);
              COMMENT ON TABLE k IS 'keyed';";
    round_trip(from, to).await;
}

#[tokio::test]
async fn types_sequences_and_schemas_change() {
    let from = "CREATE DOMAIN code AS text CHECK (VALUE <> '');
                CREATE TYPE pair AS (a int, b int);
                CREATE SEQUENCE s;";
    let to = "CREATE SCHEMA extra;
              CREATE DOMAIN code AS text NOT NULL DEFAULT 'x' CHECK (VALUE <> '') CHECK (length(VALUE) < 9);
              CREATE TYPE pair AS (a int, b bigint, c text);
              CREATE SEQUENCE s INCREMENT 2 CACHE 10;
              CREATE TABLE extra.t (id int);";
    round_trip(from, to).await;
}

#[tokio::test]
async fn equal_schemas_have_no_difference() {
    let (_a, mut a) = crate::support::built(crate::kinds::EVERYTHING).await;
    let (_b, mut b) = crate::support::built(crate::kinds::EVERYTHING).await;
    let d = migrations_schema::diff(
        &crate::support::read(&mut a).await,
        &crate::support::read(&mut b).await,
    );
    assert!(d.is_empty(), "{}", crate::support::list(&d));
}

#[tokio::test]
async fn an_index_or_constraint_under_a_new_name_is_renamed_not_rebuilt() {
    let from = "CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY, email text CONSTRAINT uq_t_email UNIQUE);
                CREATE INDEX ix_t_email ON t (lower(email));
                INSERT INTO t VALUES (1, 'a@b.c');";
    let to = "CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE);
              CREATE INDEX t_lower_email_idx ON t (lower(email));";
    let script = round_trip(from, to).await;
    assert!(
        script.contains("ALTER INDEX public.ix_t_email RENAME TO t_lower_email_idx"),
        "{script}"
    );
    assert!(
        script.contains("ALTER TABLE public.t RENAME CONSTRAINT t_pk TO t_pkey"),
        "{script}"
    );
    assert!(
        script.contains("ALTER TABLE public.t RENAME CONSTRAINT uq_t_email TO t_email_key"),
        "{script}"
    );
    assert!(!script.contains("DROP"), "nothing is rebuilt: {script}");
}

#[tokio::test]
async fn declared_renames_keep_the_values_and_bad_ones_name_what_is_missing() {
    use crate::support::{apply, built, list, read};
    use migrations_schema::{diff, diff_with_renames, Rename};
    let from = "CREATE TABLE calls (id int PRIMARY KEY, note text, CONSTRAINT note_short CHECK (length(note) < 100));
                CREATE INDEX calls_note ON calls (note);
                INSERT INTO calls VALUES (1, 'kept');";
    let to = "CREATE TABLE call_log (id int PRIMARY KEY, summary text, CONSTRAINT note_short CHECK (length(summary) < 100));
              CREATE INDEX calls_note ON call_log (summary);";
    let (_a, mut a) = built(from).await;
    let (_b, mut b) = built(to).await;
    let (source, target) = (read(&mut a).await, read(&mut b).await);
    let plain = diff(&source, &target).script();
    assert!(
        plain.contains("DROP TABLE public.calls"),
        "without hints a rename is a drop: {plain}"
    );
    let renames: Vec<Rename> = ["calls=call_log", "call_log.note=call_log.summary"]
        .iter()
        .map(|r| r.parse().expect("parses"))
        .collect();
    let renamed = diff_with_renames(&source, &target, &renames).expect("resolves");
    let script = renamed.script();
    assert!(
        script.contains("ALTER TABLE public.calls RENAME TO call_log"),
        "{script}"
    );
    assert!(
        script.contains("ALTER TABLE public.call_log RENAME COLUMN note TO summary"),
        "{script}"
    );
    assert!(!script.contains("DROP"), "{script}");
    apply(&mut a, &script).await;
    let left = diff(&read(&mut a).await, &target);
    assert!(left.is_empty(), "{}\n{script}", list(&left));
    let kept: String = a
        .query_one("SELECT summary FROM call_log", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(kept, "kept");

    let bad: Rename = "calls.nope=calls.summary".parse().expect("parses");
    let err = diff_with_renames(&source, &target, &[bad])
        .expect_err("unknown column")
        .to_string();
    assert!(
        err.contains(
            "rename `calls.nope=calls.summary`: table public.calls has no column nope to rename"
        ),
        "{err}"
    );
}
