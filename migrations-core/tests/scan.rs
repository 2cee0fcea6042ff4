//! Scanning real and deliberately broken directories built in temporary folders.

use std::fs;
use std::path::Path;

use migrations_core::{
    load_dir, scan, Layout, Note, Problem, ScanOptions, TransactionMode, Warning,
};

fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, body) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().expect("has parent")).expect("mkdir");
        fs::write(full, body).expect("write");
    }
    dir
}

fn problems(dir: &Path, options: ScanOptions) -> Vec<String> {
    scan(dir, "migrations", options)
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn directory_layout_orders_like_diesel_and_reads_options() {
    let dir = tree(&[
        ("2014-11-13-193818_b/up.sql", b"CREATE TABLE b (x int);"),
        ("2014-11-13-193818_b/down.sql", b"DROP TABLE b;"),
        ("2014-01-01-000000_a/up.sql", b"CREATE TABLE a (x int);"),
        ("2014-01-01-000000_a/down.sql", b"-- nothing to undo\n"),
        (
            "2015-01-01-000000_c/up.sql",
            b"CREATE INDEX CONCURRENTLY i ON a (x);",
        ),
        (
            "2015-01-01-000000_c/down.sql",
            b"DROP INDEX CONCURRENTLY i;",
        ),
        (
            "2015-01-01-000000_c/metadata.toml",
            b"# diesel\nrun_in_transaction = false\n",
        ),
        ("README.md", b"docs"),
        (".keep", b""),
        ("2015-01-01-000000_c/generate.sh", b"#!/bin/sh"),
    ]);
    let report = scan(dir.path(), "migrations", ScanOptions::default());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let versions: Vec<_> = report
        .revisions
        .iter()
        .map(|r| r.version().to_owned())
        .collect();
    assert_eq!(
        versions,
        ["20140101000000", "20141113193818", "20150101000000"]
    );
    assert_eq!(
        report.revisions[2].up().transaction(),
        TransactionMode::None
    );
    assert_eq!(report.ignored.len(), 3, "{:?}", report.ignored);
    assert!(report.notes.contains(&Note::EmptyDown {
        path: "migrations/2014-01-01-000000_a/down.sql".into()
    }));
}

#[test]
fn flat_layout_orders_as_integers() {
    let dir = tree(&[
        ("10_b.up.sql", b"SELECT 1;"),
        ("10_b.down.sql", b"SELECT 1;"),
        ("9_a.up.sql", b"SELECT 1;"),
        ("9_a.down.sql", b"SELECT 1;"),
    ]);
    let m = load_dir(dir.path(), "migrations", ScanOptions::default()).expect("valid");
    assert_eq!(m.layout(), Layout::Flat);
    assert_eq!(
        m.iter().map(|r| r.version()).collect::<Vec<_>>(),
        ["9", "10"]
    );
}

#[test]
fn unpadded_directory_versions_warn_about_string_order() {
    let dir = tree(&[
        ("9_a/up.sql", b"SELECT 1;"),
        ("9_a/down.sql", b""),
        ("10_b/up.sql", b"SELECT 1;"),
        ("10_b/down.sql", b""),
    ]);
    let report = scan(dir.path(), "migrations", ScanOptions::default());
    assert_eq!(
        report
            .revisions
            .iter()
            .map(|r| r.version())
            .collect::<Vec<_>>(),
        ["10", "9"]
    );
    assert_eq!(
        report.warnings,
        [Warning::OrderDisagreement {
            first: "10_b".into(),
            second: "9_a".into()
        }]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = tree(&[
        ("003_a/up.sql", b"SELECT 1;"),
        ("003_a/down.sql", b"SELECT 1;"),
        ("003_b/up.sql", b"SELECT 2;"),
        ("003_b/down.sql", b"SELECT 2;"),
        ("004_no_down/up.sql", b"SELECT 1;"),
        ("005_empty/up.sql", b" \n"),
        ("005_empty/down.sql", b""),
        ("006_typo/upp.sql", b"SELECT 1;"),
        ("006_typo/up.sql", b"SELECT 1;"),
        ("006_typo/down.sql", b"SELECT 1;"),
        ("007_latin1/up.sql", b"SELECT '\xe9';"),
        ("007_latin1/down.sql", b"SELECT 1;"),
        (
            "008_directive/up.sql",
            b"-- migrate: no-transactoin\nSELECT 1;",
        ),
        ("008_directive/down.sql", b"SELECT 1;"),
        ("009_only_down/down.sql", b"SELECT 1;"),
        ("add_users/up.sql", b"SELECT 1;"),
        ("010/up.sql", b"SELECT 1;"),
        (
            "011_commit/up.sql",
            b"CREATE TABLE t (x int);\nCOMMIT;\nCREATE TABLE u (x int);",
        ),
        ("011_commit/down.sql", b"SELECT 1;"),
        ("012_meta/up.sql", b"SELECT 1;"),
        ("012_meta/down.sql", b"SELECT 1;"),
        ("012_meta/metadata.toml", b"run_in_transactions = false\n"),
    ]);
    let found = problems(dir.path(), ScanOptions::default());
    let expect = [
        "version 003 is used by more than one revision (migrations/003_a, migrations/003_b): renumber the one not yet applied anywhere to 013",
        "revision `004_no_down` has no down script: add `migrations/004_no_down/down.sql`",
        "`migrations/005_empty/up.sql` is empty",
        "`migrations/006_typo/upp.sql` looks like a migration script",
        "`migrations/007_latin1/up.sql` is not valid UTF-8",
        "`migrations/008_directive/up.sql` line 1 has unknown directive `no-transactoin`",
        "revision `migrations/009_only_down` has no up.sql",
        "directory `migrations/add_users` holds up.sql but its name has no version",
        "`migrations/010` looks like a revision but its name does not parse",
        "`migrations/011_commit/up.sql` line 2 has `COMMIT;`",
        "`migrations/012_meta/metadata.toml` line 1: unknown key `run_in_transactions`",
    ];
    for e in expect {
        assert!(
            found.iter().any(|f| f.contains(e)),
            "missing {e:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
}

#[test]
fn up_only_revisions_need_the_explicit_option() {
    let dir = tree(&[
        ("1_a.up.sql", b"SELECT 1;"),
        ("1_a.down.sql", b"SELECT 1;"),
        ("2_simple.sql", b"SELECT 2;"),
        ("3_b.up.sql", b"SELECT 3;"),
    ]);
    let strict = problems(dir.path(), ScanOptions::default());
    assert_eq!(strict.len(), 2, "{strict:?}");
    assert!(
        strict[0].contains("add `migrations/2_simple.down.sql`"),
        "{strict:?}"
    );
    let loose = load_dir(
        dir.path(),
        "migrations",
        ScanOptions {
            allow_up_only: true,
            ..ScanOptions::default()
        },
    )
    .expect("allowed");
    assert!(loose.get("2").expect("present").is_irreversible());
    assert!(!loose.get("1").expect("present").is_irreversible());
}

#[test]
fn declared_irreversible_needs_no_down() {
    let dir = tree(&[("001_a/up.sql", b"-- migrate: irreversible\nDROP TABLE x;")]);
    let m = load_dir(dir.path(), "migrations", ScanOptions::default()).expect("valid");
    assert!(m.get("001").expect("present").is_irreversible());
}

#[test]
fn own_transaction_files_run_as_one_transaction() {
    let dir = tree(&[
        (
            "001_a/up.sql",
            b"BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;\n",
        ),
        ("001_a/down.sql", b"DROP TABLE t;"),
    ]);
    let m = load_dir(dir.path(), "migrations", ScanOptions::default()).expect("valid");
    assert_eq!(
        m.get("001").expect("present").up().transaction(),
        TransactionMode::Own
    );
}

#[test]
fn crlf_and_bom_do_not_change_the_checksum() {
    let unix = tree(&[
        ("001_a/up.sql", b"SELECT 1;\nSELECT 2;\n"),
        ("001_a/down.sql", b""),
    ]);
    let dos = tree(&[
        ("001_a/up.sql", b"\xef\xbb\xbfSELECT 1;\r\nSELECT 2;\r\n"),
        ("001_a/down.sql", b""),
    ]);
    let a = load_dir(unix.path(), "m", ScanOptions::default()).expect("valid");
    let b = load_dir(dos.path(), "m", ScanOptions::default()).expect("valid");
    assert_eq!(a, b);
}

#[test]
fn mixed_layouts_and_missing_directory_are_refused() {
    let dir = tree(&[
        ("001_a/up.sql", b"SELECT 1;"),
        ("001_a/down.sql", b""),
        ("2_b.up.sql", b"SELECT 1;"),
        ("2_b.down.sql", b""),
    ]);
    assert!(problems(dir.path(), ScanOptions::default())[0].contains("mixes revision directories"));
    let missing = problems(&dir.path().join("nope"), ScanOptions::default());
    assert_eq!(
        missing,
        ["migrations directory `migrations` does not exist: create it, or correct the path"]
    );
}

#[test]
fn real_corpora_load() {
    let Some(corpora) = migrations_core::corpora::dir("real_corpora_load") else {
        return;
    };
    let corpus = |name: &str| corpora.join(name);
    let docsrs = load_dir(&corpus("docsrs"), "docsrs", ScanOptions::default())
        .expect("docs.rs loads strictly");
    assert_eq!(docsrs.len(), 33);
    let graph = scan(&corpus("graph-node"), "graph-node", ScanOptions::default());
    assert!(graph.problems.is_empty(), "{:#?}", graph.problems);
    assert_eq!(graph.revisions.len(), 125);
    assert!(graph
        .ignored
        .iter()
        .any(|i| i.path.ends_with("generate.sh")));
    // zksync-era has one sqlx "simple" up-only file and one up whose down has a typo'd version:
    // strict refuses all three files, the import option accepts them as sqlx runs them.
    let strict = scan(&corpus("zksync-era"), "zksync-era", ScanOptions::default());
    assert_eq!(strict.problems.len(), 3, "{:#?}", strict.problems);
    let zk = load_dir(
        &corpus("zksync-era"),
        "zksync-era",
        ScanOptions {
            allow_up_only: true,
            ..ScanOptions::default()
        },
    )
    .expect("loads");
    assert_eq!(zk.len(), 269);
    assert!(zk
        .get("20241812144402")
        .expect("simple file")
        .is_irreversible());
}

#[test]
fn problem_messages_name_the_fix() {
    let p = Problem::MissingUp {
        path: "migrations/003_x".into(),
    };
    assert_eq!(p.to_string(), "revision `migrations/003_x` has no up.sql: add `migrations/003_x/up.sql` with the revision's SQL (or `migrations/003_x/up.rs` with a Rust function)");
}

/// Non-UTF-8 names cannot be committed as fixtures; build one here.
#[cfg(unix)]
#[test]
fn non_utf8_names_are_problems_not_panics() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[("001_a/up.sql", b"SELECT 1;"), ("001_a/down.sql", b"")]);
    fs::create_dir(dir.path().join(std::ffi::OsStr::from_bytes(b"002_caf\xe9"))).expect("mkdir");
    let found = problems(dir.path(), ScanOptions::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("the name is not valid UTF-8; rename it"),
        "{found:?}"
    );
}
