//! Every object kind the model covers, created in one database, generated from nothing into
//! another, and generated away again.

use migrations_schema::{diff, Catalog, ObjectKind, ReadOptions};

use crate::support::{apply, built, list, read};

/// One of everything, written the way people write it (aliases, serials, inline constraints), so
/// that the read must canonicalise.
pub(crate) const EVERYTHING: &str = r#"
CREATE EXTENSION citext;
CREATE SCHEMA dispatch;
COMMENT ON SCHEMA dispatch IS 'dispatch objects';
CREATE TYPE priority AS ENUM ('low', 'normal', 'high');
COMMENT ON TYPE priority IS 'how urgent';
CREATE DOMAIN phone AS varchar(20) DEFAULT '' NOT NULL CONSTRAINT phone_digits CHECK (VALUE ~ '^[0-9+ ]*$');
CREATE TYPE dispatch.location AS (lat float8, lon float8, label text COLLATE "C");
CREATE SEQUENCE ticket_seq AS integer START 100 INCREMENT 5 MINVALUE 100 MAXVALUE 100000 CACHE 2 CYCLE;
CREATE TABLE callers (
    id serial PRIMARY KEY,
    phone phone,
    name citext NOT NULL,
    email varchar(255) UNIQUE,
    ticket int DEFAULT nextval('ticket_seq'),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE callers IS 'people who call';
COMMENT ON COLUMN callers.name IS 'as given';
CREATE TABLE calls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    caller_id int REFERENCES callers (id) ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    priority priority NOT NULL DEFAULT 'normal',
    started tsrange,
    place dispatch.location,
    notes text COLLATE "C",
    score numeric(5, 2) CHECK (score >= 0),
    score_pct numeric GENERATED ALWAYS AS (score * 100) STORED,
    EXCLUDE USING gist (started WITH &&)
);
ALTER TABLE calls ADD CONSTRAINT notes_short CHECK (length(notes) < 10000) NOT VALID;
COMMENT ON CONSTRAINT notes_short ON calls IS 'validated later';
CREATE INDEX calls_priority_idx ON calls (priority DESC NULLS LAST) INCLUDE (caller_id) WHERE priority <> 'low';
CREATE UNIQUE INDEX callers_lower_name ON callers (lower(name::text));
COMMENT ON INDEX calls_priority_idx IS 'open calls';
CREATE UNLOGGED TABLE dispatch.scratch (k text, v jsonb);
CREATE TABLE dispatch.events (at timestamptz NOT NULL, kind text, payload jsonb DEFAULT '{}') PARTITION BY RANGE (at);
CREATE TABLE dispatch.events_2026 PARTITION OF dispatch.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE dispatch.events_old PARTITION OF dispatch.events DEFAULT;
CREATE INDEX events_kind ON dispatch.events (kind);
CREATE FUNCTION caller_label(c callers) RETURNS text LANGUAGE sql STABLE AS $$ SELECT c.name || ' <' || coalesce(c.email, '?') || '>' $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    NEW.created_at := now();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION touch() IS 'stamps rows';
CREATE FUNCTION add_calls(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN a + b;
CREATE FUNCTION longest_step(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN length(v) > length(coalesce(acc, '')) THEN v ELSE acc END $$;
CREATE AGGREGATE longest(text) (SFUNC = longest_step, STYPE = text, PARALLEL = SAFE);
CREATE PROCEDURE close_call(call_id bigint) LANGUAGE plpgsql AS $$ BEGIN UPDATE calls SET notes = 'closed' WHERE id = call_id; END $$;
CREATE VIEW open_calls AS SELECT c.id, c.priority, caller_label(k) AS caller FROM calls c JOIN callers k ON k.id = c.caller_id WHERE c.priority <> 'low';
CREATE VIEW urgent_calls WITH (security_barrier = true) AS SELECT id, caller FROM open_calls WHERE priority = 'high';
COMMENT ON VIEW urgent_calls IS 'high only';
CREATE MATERIALIZED VIEW call_counts AS SELECT priority, count(*) AS n FROM calls GROUP BY priority;
CREATE UNIQUE INDEX call_counts_priority ON call_counts (priority);
CREATE TRIGGER callers_touch BEFORE INSERT OR UPDATE OF name ON callers FOR EACH ROW WHEN (NEW.name IS NOT NULL) EXECUTE FUNCTION touch();
CREATE TRIGGER callers_touch_later AFTER DELETE ON callers FOR EACH STATEMENT EXECUTE FUNCTION touch();
ALTER TABLE callers DISABLE TRIGGER callers_touch_later;
ALTER TABLE calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE calls FORCE ROW LEVEL SECURITY;
CREATE POLICY calls_visible ON calls AS RESTRICTIVE FOR SELECT TO PUBLIC USING (priority <> 'low');
CREATE POLICY calls_insert ON calls FOR INSERT WITH CHECK (score IS NULL OR score < 100);
"#;

#[tokio::test]
async fn every_kind_is_read_canonically() {
    let (_db, mut client) = built(EVERYTHING).await;
    let catalog = read(&mut client).await;
    let callers = &catalog.tables[&migrations_schema::Name::new("public", "callers")];
    let email = callers.column("email").expect("email column");
    assert_eq!(
        email.data_type, "character varying(255)",
        "types are spelled by format_type"
    );
    let id = callers.column("id").expect("id column");
    assert_eq!(id.data_type, "integer");
    assert_eq!(
        id.default.as_deref(),
        Some("nextval('callers_id_seq'::regclass)")
    );
    let owned = &catalog.sequences[&migrations_schema::Name::new("public", "callers_id_seq")];
    assert_eq!(
        owned
            .owned_by
            .as_ref()
            .map(|(t, c)| (t.name.as_str(), c.as_str())),
        Some(("callers", "id"))
    );
    assert!(
        !catalog
            .sequences
            .keys()
            .any(|n| n.name.starts_with("calls_id")),
        "an identity column's sequence belongs to the column"
    );
    let priority = &catalog.types[&migrations_schema::Name::new("public", "priority")];
    assert_eq!(
        priority.kind,
        migrations_schema::TypeKind::Enum(vec!["low".into(), "normal".into(), "high".into()])
    );
    assert!(catalog.extensions.contains_key("citext"));
    assert!(
        !catalog.routines.keys().any(|r| r.name.name == "citextin"),
        "an extension's own objects are represented by the extension"
    );
    for (key, kind) in [("calls_visible", "policy"), ("callers_touch", "trigger")] {
        let found = catalog.policies.keys().any(|(_, n)| n == key)
            || catalog.triggers.keys().any(|(_, n)| n == key);
        assert!(found, "{kind} {key} is read");
    }
    // Reading again gives the same catalog: the order is canonical.
    assert_eq!(read(&mut client).await, catalog);
}

#[tokio::test]
async fn every_kind_is_generated_from_nothing_and_back() {
    let (_a, mut a) = built(EVERYTHING).await;
    let (_b, mut b) = built("").await;
    let (full, empty) = (read(&mut a).await, read(&mut b).await);
    let create = diff(&empty, &full);
    let kinds: std::collections::BTreeSet<String> = create
        .differences()
        .map(|c| c.kind.words().to_owned())
        .collect();
    for kind in [
        ObjectKind::Schema,
        ObjectKind::Extension,
        ObjectKind::Enum,
        ObjectKind::Domain,
        ObjectKind::CompositeType,
        ObjectKind::Sequence,
        ObjectKind::Table,
        ObjectKind::Constraint,
        ObjectKind::Index,
        ObjectKind::View,
        ObjectKind::MaterializedView,
        ObjectKind::Function,
        ObjectKind::Procedure,
        ObjectKind::Aggregate,
        ObjectKind::Trigger,
        ObjectKind::Policy,
    ] {
        assert!(
            kinds.contains(kind.words()),
            "the fixture has a {}: {kinds:?}",
            kind.words()
        );
    }
    apply(&mut b, &create.script()).await;
    let rebuilt = read(&mut b).await;
    let left = diff(&rebuilt, &full);
    assert!(
        left.is_empty(),
        "generated from nothing, still:\n{}\n{}",
        list(&left),
        create.script()
    );
    assert!(diff(&full, &rebuilt).is_empty(), "and the other way");

    let drop = diff(&full, &empty);
    assert!(
        drop.destructive().count() > 0,
        "dropping tables is called out"
    );
    apply(&mut a, &drop.script()).await;
    let left = diff(&read(&mut a).await, &empty);
    assert!(
        left.is_empty(),
        "generated away, still:\n{}\n{}",
        list(&left),
        drop.script()
    );
}

#[tokio::test]
async fn owners_and_grants_are_compared_when_asked() {
    let (db, mut a) =
        built("CREATE TABLE t (x int); CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1;")
            .await;
    let role = format!("reader_{}", db.name());
    let owner = format!("owner_{}", db.name());
    let setup = format!(
        "CREATE ROLE {role}; CREATE ROLE {owner};
         GRANT SELECT, INSERT ON t TO {role}; GRANT UPDATE ON t TO {role} WITH GRANT OPTION;
         REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC; GRANT EXECUTE ON FUNCTION f() TO {role};
         ALTER TABLE t OWNER TO {owner};"
    );
    a.batch_execute(&setup).await.expect("roles are set up");
    let (_b, mut b) =
        built("CREATE TABLE t (x int); CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1;")
            .await;
    let with = ReadOptions {
        privileges: true,
        ..ReadOptions::default()
    };
    let (granted, plain) = (
        Catalog::read(&mut a, &with).await.expect("read"),
        Catalog::read(&mut b, &with).await.expect("read"),
    );
    assert!(
        diff(&read(&mut a).await, &read(&mut b).await).is_empty(),
        "ignored unless asked"
    );
    let change = diff(&plain, &granted);
    let script = change.script();
    assert!(
        script.contains(&format!(
            "GRANT UPDATE ON TABLE public.t TO {role} WITH GRANT OPTION"
        )),
        "{script}"
    );
    assert!(
        script.contains("REVOKE EXECUTE ON FUNCTION public.f() FROM PUBLIC"),
        "{script}"
    );
    apply(&mut b, &script).await;
    let left = diff(&Catalog::read(&mut b, &with).await.expect("read"), &granted);
    assert!(left.is_empty(), "still:\n{}\n{script}", list(&left));
    let cleanup = format!("DROP OWNED BY {role}, {owner}; DROP ROLE {role}; DROP ROLE {owner};");
    b.batch_execute(&cleanup).await.ok();
    a.batch_execute(&format!("ALTER TABLE t OWNER TO CURRENT_USER; {cleanup}"))
        .await
        .ok();
    b.batch_execute(&cleanup).await.ok();
}
