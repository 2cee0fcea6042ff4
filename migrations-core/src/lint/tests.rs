use super::*;
use crate::ScanOptions;

/// Lints a one-revision directory whose up.sql is `up` (irreversible unless `down` is given).
fn lint_with(up: &str, down: Option<&str>, config: &str) -> LintReport {
    let dir = tempfile::tempdir().expect("tempdir");
    let rev = dir.path().join("001_a");
    std::fs::create_dir(&rev).expect("mkdir");
    let header = if down.is_some() || up.starts_with("-- migrate:") {
        ""
    } else {
        "-- migrate: irreversible\n"
    };
    let up = match up.strip_prefix("-- migrate: ") {
        Some(rest) if down.is_none() && !rest.contains("irreversible") => {
            format!("-- migrate: irreversible, {rest}")
        }
        _ => format!("{header}{up}"),
    };
    std::fs::write(rev.join("up.sql"), up).expect("write");
    if let Some(down) = down {
        std::fs::write(rev.join("down.sql"), down).expect("write");
    }
    let m = crate::load_dir(dir.path(), "m", ScanOptions::default()).expect("valid directory");
    let config = Config::parse(config, "m/lint.toml").expect("valid config");
    check(m.as_slice(), "m", &config)
}

fn rules(up: &str) -> Vec<&'static str> {
    let report = lint_with(up, None, "");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.findings.iter().map(|f| f.rule.id()).collect()
}

const TIMEOUT: &str = "SET lock_timeout = '2s';\n";

#[test]
fn each_rule_fires_on_an_existing_table() {
    let cases: [(&str, &[&str]); 12] = [
        (
            "CREATE INDEX CONCURRENTLY i ON t (x);",
            &["concurrently-in-transaction"],
        ),
        (
            "DROP INDEX CONCURRENTLY i;",
            &["concurrently-in-transaction"],
        ),
        (
            "REINDEX (CONCURRENTLY) INDEX i;",
            &["concurrently-in-transaction"],
        ),
        ("VACUUM t;", &["outside-transaction-only"]),
        ("CREATE DATABASE d;", &["outside-transaction-only"]),
        ("CREATE INDEX i ON t (x);", &["index-not-concurrent"]),
        (
            "ALTER TABLE t ADD COLUMN c int NOT NULL;",
            &["add-column-not-null"],
        ),
        (
            "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES u (id);",
            &["constraint-not-valid"],
        ),
        (
            "ALTER TABLE t ALTER COLUMN x TYPE bigint;",
            &["alter-column-type"],
        ),
        ("ALTER TABLE t RENAME COLUMN x TO y;", &["rename"]),
        ("ALTER TABLE t DROP COLUMN x;", &["drop"]),
        (
            "ALTER TYPE e ADD VALUE 'v';",
            &["enum-value-in-transaction"],
        ),
    ];
    for (sql, expected) in cases {
        assert_eq!(rules(&format!("{TIMEOUT}{sql}")), expected, "{sql}");
    }
    // The runner sets lock_timeout for every revision unless it says `lock-timeout=0`.
    assert_eq!(rules("DROP TABLE t;"), ["drop"]);
    assert_eq!(
        rules("-- migrate: lock-timeout=0\nDROP TABLE t;"),
        ["drop", "missing-lock-timeout"]
    );
    assert_eq!(
        rules("-- migrate: lock-timeout=0\nALTER TABLE t ADD COLUMN c int;\nALTER TABLE t ADD COLUMN d int;"),
        ["missing-lock-timeout"],
        "reported once per script"
    );
    assert_eq!(
        rules("-- migrate: lock-timeout=0\nSET lock_timeout = '1s';\nDROP TABLE t;"),
        ["drop"],
        "a SET before the statement counts"
    );
}

#[test]
fn safe_patterns_pass() {
    for sql in [
        "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);",
        "-- migrate: no-transaction\nVACUUM t;\nALTER TYPE e ADD VALUE 'v';",
        "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;",
        "ALTER TABLE t ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;",
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES u (id) NOT VALID;",
        "ALTER TABLE t VALIDATE CONSTRAINT f;",
        "ALTER TABLE t ADD COLUMN c int;\nANALYZE t;",
    ] {
        let sql = match sql.strip_prefix("-- migrate: no-transaction\n") {
            Some(body) => format!("-- migrate: no-transaction\n{TIMEOUT}{body}"),
            None => format!("{TIMEOUT}{sql}"),
        };
        assert_eq!(rules(&sql), Vec::<&str>::new(), "{sql}");
    }
}

#[test]
fn tables_created_in_the_same_revision_are_not_in_use() {
    let sql = "CREATE TABLE t (x int);\nCREATE INDEX i ON t (x);\nALTER TABLE t ADD COLUMN c int NOT NULL;\nALTER TABLE t ALTER COLUMN x TYPE bigint;\nALTER TABLE t ADD CHECK (x > 0);\nALTER TABLE t RENAME COLUMN x TO y;\nDROP TABLE t;";
    assert_eq!(rules(sql), Vec::<&str>::new());
}

#[test]
fn the_files_own_transaction_counts() {
    let sql = "-- migrate: no-transaction\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON t (x);\nCOMMIT;\nCREATE INDEX CONCURRENTLY j ON t (x);";
    assert_eq!(rules(sql), ["concurrently-in-transaction"]);
    let own = "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (x);\nCOMMIT;";
    assert_eq!(rules(own), ["concurrently-in-transaction"]);
}

#[test]
fn down_scripts_are_checked_only_for_what_can_never_run() {
    let report = lint_with(
        "CREATE TABLE t (x int);",
        Some("DROP TABLE t;\nCREATE INDEX CONCURRENTLY i ON u (x);"),
        "",
    );
    let found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule.id(), f.path.as_str(), f.line))
        .collect();
    assert_eq!(
        found,
        [("concurrently-in-transaction", "m/001_a/down.sql", 2)]
    );
}

#[test]
fn opt_outs_need_a_reason_and_a_known_rule() {
    let allowed = "-- lint: allow-revision missing-lock-timeout -- tiny table\n-- lint: allow index-not-concurrent, drop -- 12 rows\nCREATE INDEX i ON t (x);\nCREATE INDEX j ON t (x);";
    assert_eq!(
        rules(allowed),
        ["index-not-concurrent"],
        "only the statement after it"
    );
    let report = lint_with(
        "-- lint: allow drop\nDROP TABLE t;\n-- lint: allow dorp -- typo\nSELECT 1;\n-- lint: allow drop -- nothing follows",
        None,
        "",
    );
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].starts_with("`m/001_a/up.sql` line 2: `-- lint: allow` needs a reason"));
    assert!(messages[1].contains("unknown lint rule `dorp`"));
    assert!(messages[2].contains("has no statement after it"));
}

#[test]
fn config_sets_levels_and_allows_revisions() {
    let config = "[rules]\nindex-not-concurrent = \"deny\"\nmissing-lock-timeout = \"allow\"\n[[allow]]\nrevision = \"001_a\"\nrule = \"drop\"\nreason = \"empty\"\n";
    let report = lint_with("CREATE INDEX i ON t (x);\nDROP TABLE u;", None, config);
    let found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule.id(), f.level))
        .collect();
    assert_eq!(found, [("index-not-concurrent", Level::Deny)]);
}

/// Every `.sql` file under `dir`.
fn sql_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("corpus directory is readable") {
        let path = entry.expect("corpus entry").path();
        if path.is_dir() {
            sql_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

/// Trees are built only for the statements the rules need (for build speed): the findings must
/// be those of full trees on every script of the real histories and of the project's own, in
/// every way the runner can run a script.
#[test]
fn needed_trees_find_what_full_trees_find_on_every_corpus_script() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(corpora) = crate::corpora::dir("the needed-trees test on every corpus script") else {
        return;
    };
    let mut files = Vec::new();
    sql_files(&corpora, &mut files);
    sql_files(&root.join("../app-db/migrations"), &mut files);
    assert!(files.len() > 800, "the corpora are there: {}", files.len());
    let (mut differing, mut hits) = (Vec::new(), 0);
    for file in files {
        let raw = std::fs::read(&file).expect("readable");
        let Ok(text) = crate::source::normalise(&raw) else {
            continue;
        };
        for flags in 0..8 {
            let (transactional, up, timeout) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
            let needed = script_hits(&text, transactional, up, timeout, Trees::Needed);
            let all = script_hits(&text, transactional, up, timeout, Trees::All);
            hits += all.as_ref().map_or(0, |a| a.hits.len());
            if needed != all {
                differing.push(format!("{} {flags}: {needed:?} != {all:?}", file.display()));
            }
        }
    }
    assert!(differing.is_empty(), "{}", differing.join("\n"));
    assert!(hits > 1000, "the corpora exercise the rules: {hits} hits");
}
