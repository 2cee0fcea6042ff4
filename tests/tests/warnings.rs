//! `embed_migrations!` warnings are real compiler warnings on stable Rust.
//!
//! Stable has no API for a proc macro to emit a warning, so the macro expands to a
//! `#[deprecated]` item spanned at the path literal. These tests build a throwaway crate with the
//! real cargo and check that the warning reaches the user at the macro call and does not fail the
//! build, and that a valid directory full of unrelated files builds with no warning at all.
//!
//! The throwaway crates share `<target>/embed-probes` with `rebuild.rs`, so the macro and its
//! dependencies compile once.

mod probe;

use probe::Probe;

/// The crate's `main.rs`; the macro call is on line 2.
const MAIN_RS: &str = "\
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!(\"migrations\");

fn main() {
    println!(\"{}\", MIGRATIONS.len());
}
";

/// Where the warning must point: line 2, at the opening quote of the path literal.
const LITERAL_AT: &str = "src/main.rs:2:41:";

#[test]
fn order_disagreement_warns_at_the_macro_call() {
    // `9` sorts after `10` as a string, which is the order diesel (and so the macro) applies.
    let probe = probe("warn-order", &revisions(&["9_create_a", "10_create_b"]));
    let output = cargo(&probe, "build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a warning must not fail the build:\n{stderr}"
    );
    let warning = stderr
        .lines()
        .find(|line| line.contains("runs before"))
        .unwrap_or_else(|| panic!("no order warning in the build output:\n{stderr}"));
    assert!(
        warning.starts_with(LITERAL_AT) && warning.contains(": warning: "),
        "the warning should be a compiler warning at the path literal ({LITERAL_AT}):\n{warning}"
    );
    assert!(
        warning.contains("`10_create_b` runs before `9_create_a`")
            && warning.contains("pad versions to the same width"),
        "the warning should name both revisions and the fix:\n{warning}"
    );
}

/// Every rule that warns (rather than denies) shows as a compiler warning at the macro call,
/// naming the file, the line, the rule and the fix, and the build still succeeds. One revision per
/// rule, each on the table revision 001 created (so it is "in use" by then).
#[test]
fn each_warning_rule_is_a_compiler_warning_at_the_macro_call() {
    let timeout = "SET lock_timeout = '5s';\n";
    let cases = [
        ("index-not-concurrent", "CREATE INDEX a_x ON a (x);"),
        (
            "add-column-not-null",
            "ALTER TABLE a ADD COLUMN y int NOT NULL;",
        ),
        (
            "constraint-not-valid",
            "ALTER TABLE a ADD CONSTRAINT a_x CHECK (x > 0);",
        ),
        (
            "alter-column-type",
            "ALTER TABLE a ALTER COLUMN x TYPE bigint;",
        ),
        ("rename", "ALTER TABLE a RENAME COLUMN x TO z;"),
        ("drop", "ALTER TABLE a DROP COLUMN x;"),
        (
            "enum-value-in-transaction",
            "ALTER TYPE mood ADD VALUE 'sad';",
        ),
    ];
    let mut files = vec![
        (
            "001_create_a/up.sql".to_owned(),
            "CREATE TYPE mood AS ENUM ('ok');\nCREATE TABLE a (id int, x int);\n".to_owned(),
        ),
        (
            "001_create_a/down.sql".to_owned(),
            "DROP TABLE a;\nDROP TYPE mood;\n".to_owned(),
        ),
        (
            "009_no_timeout/up.sql".to_owned(),
            "-- migrate: irreversible, lock-timeout=0\nALTER TABLE a ADD COLUMN w int;\n"
                .to_owned(),
        ),
    ];
    for (i, (_, sql)) in cases.iter().enumerate() {
        files.push((
            format!("00{}_case/up.sql", i + 2),
            format!("-- migrate: irreversible\n{timeout}{sql}\n"),
        ));
    }
    let probe = probe("warn-lint", &files);
    let output = cargo(&probe, "build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "warnings must not fail the build:\n{stderr}"
    );
    let rules = cases
        .iter()
        .map(|(rule, _)| *rule)
        .chain(["missing-lock-timeout"]);
    for (i, rule) in rules.enumerate() {
        let (revision, line) = if i < cases.len() {
            (format!("00{}_case", i + 2), 3)
        } else {
            ("009_no_timeout".to_owned(), 2)
        };
        let warning = stderr
            .lines()
            .find(|l| l.contains(&format!("[{rule}]")))
            .unwrap_or_else(|| panic!("no `{rule}` warning in the build output:\n{stderr}"));
        assert!(
            warning.starts_with(LITERAL_AT)
                && warning.contains(": warning: ")
                && warning.contains(&format!("`migrations/{revision}/up.sql` line {line}:")),
            "`{rule}` should warn at the path literal ({LITERAL_AT}), naming the file and line:\n{warning}"
        );
    }
    assert_eq!(
        stderr.matches(": warning: use of deprecated").count(),
        8,
        "exactly one warning per rule:\n{stderr}"
    );
}

/// The passing counterpart of the compile-fail cases: files that are clearly not migrations are
/// skipped (and listed by `check --verbose`), not reported, and same-width versions agree.
#[test]
fn valid_directory_with_unrelated_files_builds_without_warnings() {
    let mut files = revisions(&["09_create_a", "10_create_b"]);
    let unrelated = [
        ("README.md", "# Migrations\n\nOne directory per revision.\n"),
        (".keep", ""),
        ("seed.sh", "#!/bin/sh\npsql \"$DATABASE_URL\" -f seed.sql\n"),
        ("schema.sql", "-- pg_dump output, for reference\n"),
        ("09_create_a/NOTES.md", "Created for the first release.\n"),
        ("10_create_b/check.py", "print('b exists')\n"),
    ];
    files.extend(unrelated.map(|(path, text)| (path.to_owned(), text.to_owned())));
    let probe = probe("warn-clean", &files);
    let output = cargo(&probe, "run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the crate should build and run:\n{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "a clean directory should build without warnings:\n{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "2",
        "only the two revisions are embedded"
    );
}

/// `up.sql` and `down.sql` for each revision directory name, as `(path, contents)` pairs
/// relative to the migrations directory.
fn revisions(names: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (i, name) in names.iter().enumerate() {
        files.push((
            format!("{name}/up.sql"),
            format!("CREATE TABLE t{i} (id int);\n"),
        ));
        files.push((format!("{name}/down.sql"), format!("DROP TABLE t{i};\n")));
    }
    files
}

/// A probe whose `migrations/` holds `files` (path, contents).
fn probe(package: &str, files: &[(String, String)]) -> Probe {
    let probe = Probe::new(package, BUILD_RS, MAIN_RS);
    for (path, contents) in files {
        probe.write(&format!("migrations/{path}"), contents);
    }
    probe
}

/// `cargo <command> --message-format short`: each diagnostic is one `file:line:col:` line.
fn cargo(probe: &Probe, command: &str) -> std::process::Output {
    probe.cargo(&[command, "--quiet", "--message-format", "short"])
}

const BUILD_RS: &str = "\
fn main() {
    println!(\"cargo:rerun-if-changed=migrations\");
    println!(\"cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\");
}
";
