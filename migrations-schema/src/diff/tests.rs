//! The diff's ordering and decisions on hand-built catalogs; the SQL itself is proven against a
//! real server in the integration tests (`tests/tests/schema`).

use super::*;

fn column(name: &str, data_type: &str) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        collation: None,
        not_null: false,
        default: None,
        identity: None,
        identity_options: None,
        generated: None,
        inherited: false,
        comment: None,
        grants: BTreeSet::new(),
    }
}

fn table(columns: Vec<Column>) -> Table {
    Table {
        unlogged: false,
        partition_by: None,
        partition_of: None,
        columns,
        row_security: false,
        force_row_security: false,
        comment: None,
        access: Access::default(),
    }
}

fn view(definition: &str, uses: &[&str]) -> View {
    View {
        materialized: false,
        definition: definition.into(),
        options: Vec::new(),
        depends_on: uses
            .iter()
            .map(|u| Dependency::Relation(Name::new("public", *u)))
            .collect(),
        comment: None,
        access: Access::default(),
        column_comments: BTreeMap::new(),
    }
}

fn public(name: &str) -> Name {
    Name::new("public", name)
}

#[test]
fn foreign_keys_come_after_every_table_and_views_after_what_they_use() {
    let mut to = Catalog::default();
    to.tables
        .insert(public("b"), table(vec![column("a_id", "integer")]));
    to.tables
        .insert(public("a"), table(vec![column("id", "integer")]));
    to.constraints.insert(
        (public("b"), "b_a".into()),
        Constraint {
            kind: ConstraintKind::ForeignKey,
            definition: "FOREIGN KEY (a_id) REFERENCES a(id)".into(),
            validated: true,
            comment: None,
        },
    );
    to.views
        .insert(public("v1"), view(" SELECT 1 FROM v2;", &["v2"]));
    to.views
        .insert(public("v2"), view(" SELECT 1 FROM a;", &["a"]));
    let statements: Vec<String> = diff(&Catalog::default(), &to)
        .statements()
        .map(|s| s.split('(').next().unwrap_or(s).trim().to_owned())
        .collect();
    assert_eq!(
        statements,
        [
            "CREATE TABLE public.a",
            "CREATE TABLE public.b",
            "ALTER TABLE public.b ADD CONSTRAINT b_a FOREIGN KEY",
            "CREATE VIEW public.v2 AS\nSELECT 1 FROM a",
            "CREATE VIEW public.v1 AS\nSELECT 1 FROM v2",
        ]
    );
    let reverse: Vec<String> = diff(&to, &Catalog::default())
        .statements()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        reverse,
        [
            "DROP VIEW public.v1",
            "DROP VIEW public.v2",
            "ALTER TABLE public.b DROP CONSTRAINT b_a",
            "DROP TABLE public.a",
            "DROP TABLE public.b",
        ],
        "dependents drop first; a dropped table's foreign key is dropped before the tables"
    );
}

#[test]
fn a_view_over_a_retyped_column_is_rebuilt_without_being_a_difference() {
    let mut from = Catalog {
        privileges: true,
        ..Catalog::default()
    };
    from.tables.insert(
        public("t"),
        table(vec![column("x", "character varying(5)")]),
    );
    from.views
        .insert(public("v"), view(" SELECT x FROM t;", &["t"]));
    let mut to = from.clone();
    to.tables
        .insert(public("t"), table(vec![column("x", "text")]));
    let d = diff(&from, &to);
    let differences: Vec<String> = d.differences().map(|c| c.object.clone()).collect();
    assert_eq!(
        differences,
        ["public.t.x"],
        "the view itself did not change"
    );
    let statements: Vec<&str> = d.statements().collect();
    assert_eq!(statements[0], "DROP VIEW public.v");
    assert_eq!(
        statements[1],
        "ALTER TABLE public.t ALTER COLUMN x TYPE text"
    );
    assert!(statements[2].starts_with("CREATE VIEW public.v"));
}

#[test]
fn enum_labels_are_added_only_when_every_old_label_keeps_its_place() {
    use enums::labels_only_added;
    let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(labels_only_added(
        &v(&["a", "b"]),
        &v(&["x", "a", "y", "b", "z"])
    ));
    assert!(
        !labels_only_added(&v(&["a", "b"]), &v(&["b", "a"])),
        "reordered"
    );
    assert!(!labels_only_added(&v(&["a", "b"]), &v(&["a"])), "removed");
}

#[test]
fn dropping_a_column_is_destructive_and_a_new_not_null_without_default_may_fail() {
    let mut from = Catalog::default();
    from.tables
        .insert(public("t"), table(vec![column("old", "text")]));
    let mut required = column("new", "integer");
    required.not_null = true;
    let mut to = Catalog::default();
    to.tables.insert(public("t"), table(vec![required]));
    let d = diff(&from, &to);
    let script = d.script();
    assert_eq!(d.destructive().count(), 1, "{script}");
    assert!(
        script.contains("-- DESTRUCTIVE: column public.t.old: drops the column and its values"),
        "{script}"
    );
    assert!(
        script.contains("-- MAY FAIL: column public.t.new"),
        "{script}"
    );
}

#[test]
fn a_cycle_does_not_hang_the_order() {
    let a = Dependency::Relation(public("a"));
    let b = Dependency::Relation(public("b"));
    let nodes = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone()])),
    ]);
    assert_eq!(topological(&nodes).len(), 2);
}
