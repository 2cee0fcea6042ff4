//! Two branches that each add a revision, merged with a real git in either order: the lock file
//! makes git report a conflict at merge time, `check` names it, and `rebase` puts the revision
//! of the branch merged second after the head, so the database that deployed the first branch
//! upgrades without an out-of-order refusal.

mod common;

use std::path::Path;
use std::process::Command;

use common::{database, migrate, write};

/// Runs git in `repo` with a fixed identity, whatever the machine's configuration; returns
/// whether it succeeded and what it printed.
fn git(repo: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .current_dir(repo)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn git_ok(repo: &Path, args: &[&str]) -> String {
    let (ok, text) = git(repo, args);
    assert!(ok, "git {args:?} failed: {text}");
    text
}

/// A revision creating `table`, in the repository's `m/`.
fn revision(repo: &Path, name: &str, table: &str) {
    write(
        &repo.join("m"),
        &[
            (
                &format!("{name}/up.sql"),
                &format!("CREATE TABLE {table} (id bigint PRIMARY KEY);\n"),
            ),
            (
                &format!("{name}/down.sql"),
                &format!("DROP TABLE {table};\n"),
            ),
        ],
    );
}

/// `migrate` on the repository's `m/`, asserting its exit code.
fn run(repo: &Path, url: &str, args: &[&str], code: i32) -> (String, String) {
    let (out, err, got) = migrate(&repo.join("m"), url, args);
    assert_eq!(got, code, "migrate {args:?}:\n{out}\n{err}");
    (out, err)
}

/// Commits everything in the work tree.
fn commit(repo: &Path, message: &str) {
    git_ok(repo, &["add", "-A"]);
    git_ok(repo, &["commit", "-qm", message]);
}

/// A repository whose `main` has revision `name` (creating table `calls`), locked.
fn locked_main(url: &str, name: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    git_ok(repo.path(), &["init", "-q"]);
    revision(repo.path(), name, "calls");
    run(repo.path(), url, &["lock"], 0);
    commit(repo.path(), "calls");
    repo
}

/// A repository on `main` with one locked revision, and branches `notes` and `tasks`, each
/// adding a revision (with a timestamp, notes' the older) and locking it.
fn repository(url: &str) -> tempfile::TempDir {
    let repo = locked_main(url, "20261101000000_calls");
    let path = repo.path();
    for (branch, name) in [
        ("notes", "20261201090000_notes"),
        ("tasks", "20261201100000_tasks"),
    ] {
        git_ok(path, &["checkout", "-qb", branch, "main"]);
        revision(path, name, branch);
        let (out, _) = run(path, url, &["lock"], 0);
        assert!(out.contains("locked 2 revisions"), "{out}");
        commit(path, branch);
    }
    git_ok(path, &["checkout", "-q", "main"]);
    repo
}

#[tokio::test]
async fn two_branches_conflict_at_merge_in_either_order_and_rebase_settles_it() {
    for (first, second, renumbered) in [("notes", "tasks", false), ("tasks", "notes", true)] {
        let production = database().await;
        let url = production.url();
        let repo = repository(url);
        let path = repo.path();
        git_ok(path, &["merge", "-q", "--no-edit", first]);
        let (out, _) = run(path, url, &["upgrade"], 0);
        assert!(out.contains(&format!("_{first}")), "{out}");

        // The second branch's merge stops on the lock file, and only there.
        let (merged, text) = git(path, &["merge", "--no-edit", second]);
        assert!(!merged, "the lock file must conflict: {text}");
        let unmerged = git_ok(path, &["diff", "--name-only", "--diff-filter=U"]);
        assert_eq!(unmerged.trim(), "m/migrations.lock", "{text}");
        let (_, err) = run(path, url, &["check"], 1);
        assert!(
            err.contains("has a git merge conflict")
                && err.contains("20261201090000_notes")
                && err.contains("20261201100000_tasks"),
            "{err}"
        );

        if renumbered {
            // Resolving the file alone would leave notes older than the applied tasks: the
            // deploy would refuse it as out of order. This is what `rebase` is for.
            run(path, url, &["lock"], 0);
            let (_, err) = run(path, url, &["upgrade"], 1);
            assert!(err.contains("20261201090000"), "{err}");
            // `check` says where the database and the directory part ways, and through which
            // line of the lock file they agree.
            let (out, _) = run(path, url, &["check"], 1);
            let lock = std::fs::read_to_string(path.join("m/migrations.lock")).expect("lock");
            let calls = lock
                .lines()
                .find(|l| l.starts_with("20261101000000_calls "))
                .and_then(|l| l.split(' ').nth(2))
                .expect("the lock lists calls");
            assert!(
                out.contains(&format!(
                    "part ways at 20261201090000_notes: this binary has it before `20261201100000_tasks`, which the database applied without it; they agree through 20261101000000_calls (lock chain {calls})"
                )),
                "{out}"
            );
        }
        let second_name = match second {
            "notes" => "20261201090000_notes",
            _ => "20261201100000_tasks",
        };
        let (out, _) = run(path, url, &["rebase", second_name], 0);
        assert_eq!(
            out.contains(&format!("renumbered {second_name} -> ")),
            renumbered,
            "{out}"
        );
        assert_eq!(
            path.join("m").join(second_name).exists(),
            !renumbered,
            "{out}"
        );
        commit(path, "merge");
        assert_eq!(git_ok(path, &["status", "--porcelain"]), "");

        let (out, _) = run(path, url, &["upgrade"], 0);
        assert!(out.contains(&format!("_{second}")), "{out}");
        let (out, _) = run(path, url, &["check"], 0);
        assert!(out.starts_with("ok: database at "), "{out}");
        let (out, _) = run(path, url, &["history"], 0);
        assert_eq!(out.lines().count(), 3, "{out}");
    }
}

#[tokio::test]
async fn rebase_refuses_a_revision_the_database_applied_and_renames_nothing() {
    let development = database().await;
    let url = development.url();
    let repo = repository(url);
    let path = repo.path();
    git_ok(path, &["checkout", "-q", "notes"]);
    run(path, url, &["upgrade"], 0);
    git_ok(path, &["checkout", "-q", "tasks"]);
    let (out, _) = run(path, url, &["check"], 1);
    assert!(
        out.contains("part ways at 20261201090000_notes: the database applied it; this binary does not have it; they agree through 20261101000000_calls"),
        "{out}"
    );
    git_ok(path, &["checkout", "-q", "notes"]);
    let (merged, _) = git(path, &["merge", "--no-edit", "tasks"]);
    assert!(!merged, "the lock file conflicts");
    let (_, err) = run(path, url, &["rebase", "20261201090000"], 1);
    assert!(
        err.contains("`20261201090000_notes` is applied in the connected database")
            && err.contains("downgrade 20261201090000-1"),
        "{err}"
    );
    assert!(path.join("m/20261201090000_notes").is_dir());
    // Reverted first (before the merge: a conflicted lock file stops every command but
    // `lock` and `rebase`), it can move.
    git_ok(path, &["merge", "--abort"]);
    run(path, url, &["downgrade", "20261201090000-1"], 0);
    let (merged, _) = git(path, &["merge", "--no-edit", "tasks"]);
    assert!(!merged, "the lock file conflicts");
    let (out, _) = run(path, url, &["rebase", "20261201090000"], 0);
    assert!(out.contains("renumbered 20261201090000_notes -> "), "{out}");
    commit(path, "merge");
    run(path, url, &["upgrade"], 0);
    run(path, url, &["check"], 0);
}

#[tokio::test]
async fn sequential_numbers_collide_and_rebase_takes_the_next_one() {
    let production = database().await;
    let url = production.url();
    let repo = locked_main(url, "001_calls");
    let path = repo.path();
    for branch in ["notes", "tasks"] {
        git_ok(path, &["checkout", "-qb", branch, "main"]);
        let (out, _) = run(path, url, &["revision", "-m", branch], 0);
        assert!(
            out.contains("updated "),
            "revision rewrites the lock: {out}"
        );
        write(
            &path.join("m"),
            &[(
                &format!("002_{branch}/up.sql"),
                &format!("CREATE TABLE {branch} (id int);\n"),
            )],
        );
        // The edit makes the lock stale until it is written again.
        let (_, err) = run(path, url, &["check"], 1);
        assert!(
            err.contains(&format!(
                "at revision `002_{branch}`: its up script changed"
            )),
            "{err}"
        );
        run(path, url, &["lock"], 0);
        commit(path, branch);
    }
    git_ok(path, &["checkout", "-q", "main"]);
    git_ok(path, &["merge", "-q", "--no-edit", "notes"]);
    run(path, url, &["upgrade"], 0);
    let (merged, _) = git(path, &["merge", "--no-edit", "tasks"]);
    assert!(!merged);
    let (_, err) = run(path, url, &["check"], 1);
    assert!(
        err.contains("version 002 is used by more than one revision") && err.contains("rebase"),
        "{err}"
    );
    let (_, err) = run(path, url, &["rebase", "002"], 1);
    assert!(err.contains("002_notes, 002_tasks"), "{err}");
    let (out, _) = run(path, url, &["rebase", "002_tasks"], 0);
    assert!(out.contains("renumbered 002_tasks -> 003_tasks"), "{out}");
    commit(path, "merge");
    run(path, url, &["upgrade"], 0);
    let (out, _) = run(path, url, &["check"], 0);
    assert!(out.contains("003_tasks (head)"), "{out}");
}

/// The up scripts of `dir` (any layout), in the order of their names, as `(name, body)`.
fn up_scripts(dir: &Path) -> Vec<(String, String)> {
    let mut scripts: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            let up = match p.is_dir() {
                true => p.join("up.sql"),
                false if name.ends_with(".up.sql") => p.clone(),
                false => return None,
            };
            Some((name, std::fs::read_to_string(up).ok()?))
        })
        .collect();
    scripts.sort();
    scripts
}

#[tokio::test]
async fn revision_refuses_to_add_to_a_stale_lock_and_writes_nothing() {
    let development = database().await;
    let url = development.url();
    let repo = locked_main(url, "001_calls");
    let path = repo.path();
    // A revision added by hand, not locked: `revision` would bless it by rewriting the file.
    revision(path, "002_notes", "notes");
    let (_, err) = run(path, url, &["revision", "-m", "tasks"], 1);
    assert!(
        err.contains("disagrees with the directory at revision `002_notes`")
            && err.contains("lock`"),
        "{err}"
    );
    assert!(!path.join("m/003_tasks").exists());
    run(path, url, &["lock"], 0);
    run(path, url, &["revision", "-m", "tasks"], 0);
    assert!(path.join("m/003_tasks/up.sql").is_file());
    run(path, url, &["check"], 1); // pending, but the directory loads
}

/// A flat (sqlx-style) directory in which two branches each added a `002`.
fn flat_collision(repo: &Path) {
    write(
        &repo.join("m"),
        &[
            ("001_calls.up.sql", "CREATE TABLE calls (id int);\n"),
            ("001_calls.down.sql", "DROP TABLE calls;\n"),
            ("002_notes.up.sql", "CREATE TABLE notes (id int);\n"),
            ("002_notes.down.sql", "DROP TABLE notes;\n"),
            ("002_tasks.up.sql", "CREATE TABLE tasks (id int);\n"),
            ("002_tasks.down.sql", "DROP TABLE tasks;\n"),
        ],
    );
}

#[tokio::test]
async fn rebase_names_a_flat_revision_by_its_file_name() {
    // Regression: `rebase --help` and the unknown-revision error say a revision may be named by
    // its file name, but a flat (sqlx-style) `002_tasks.up.sql` was refused as unknown.
    let production = database().await;
    let url = production.url();
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path();
    flat_collision(path);
    let (out, _) = run(path, url, &["rebase", "002_tasks.up.sql"], 0);
    assert!(out.contains("renumbered 002_tasks -> 003_tasks"), "{out}");
    assert!(path.join("m/003_tasks.up.sql").is_file(), "{out}");
    assert!(path.join("m/003_tasks.down.sql").is_file(), "{out}");
}

/// Diesel directories whose slug follows the version after a dash
/// (`2023-05-23-1715-update-x`, which the scanner accepts), the last one older than the head.
/// Regression for the two tests below: rebase did not find such a directory by its name, and
/// printed old and new names with an underscore that existed nowhere on disk.
fn dashed_repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    for (name, table) in [
        ("2024-01-01-120000_calls", "calls"),
        ("2024-01-03-120000_notes", "notes"),
        ("2024-01-02-120000-tasks", "tasks"),
    ] {
        revision(repo.path(), name, table);
    }
    repo
}

#[tokio::test]
async fn rebase_names_a_diesel_revision_with_a_dash_separator_by_its_directory_name() {
    let production = database().await;
    let url = production.url();
    let repo = dashed_repository();
    let path = repo.path();
    run(path, url, &["lock"], 0);
    let (out, _) = run(path, url, &["rebase", "2024-01-02-120000-tasks"], 0);
    assert!(
        out.contains("renumbered 2024-01-02-120000-tasks -> "),
        "{out}"
    );
    assert!(!path.join("m/2024-01-02-120000-tasks").exists(), "{out}");
}

#[tokio::test]
async fn rebase_prints_the_name_it_renamed_a_dash_separated_revision_to() {
    let production = database().await;
    let url = production.url();
    let repo = dashed_repository();
    let path = repo.path();
    // By version, which does find it.
    let (out, _) = run(path, url, &["rebase", "2024-01-02-120000"], 0);
    let line = out
        .lines()
        .find(|l| l.starts_with("renumbered "))
        .unwrap_or_else(|| panic!("renumbered: {out}"));
    let (old, new) = line["renumbered ".len()..]
        .split_once(" -> ")
        .expect("old -> new");
    assert_eq!(old, "2024-01-02-120000-tasks", "{out}");
    assert!(
        path.join("m").join(new).is_dir(),
        "`{new}` is what rebase says it renamed to, but the directory holds {:?}",
        up_scripts(&path.join("m"))
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn rebase_of_two_revisions_sharing_a_slug_keeps_both_scripts() {
    // Regression: the branch merged second added `002_fix` and `003_fix`, the first `002_notes`.
    // Renumbering `002_fix` to 003 landed on `003_fix` before that one moved on: in the flat
    // layout the rename replaced its scripts (a revision lost, exit 0), in the directory layout
    // it failed half-way.
    for flat in [true, false] {
        let production = database().await;
        let url = production.url();
        let repo = tempfile::tempdir().expect("tempdir");
        let path = repo.path();
        let mut files: Vec<(String, String)> = Vec::new();
        for (name, table) in [
            ("001_calls", "calls"),
            ("002_notes", "notes"),
            ("002_fix", "first_fix"),
            ("003_fix", "second_fix"),
        ] {
            let (up, down) = match flat {
                true => (format!("{name}.up.sql"), format!("{name}.down.sql")),
                false => (format!("{name}/up.sql"), format!("{name}/down.sql")),
            };
            files.push((up, format!("CREATE TABLE {table} (id int);\n")));
            files.push((down, format!("DROP TABLE {table};\n")));
        }
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_str()))
            .collect();
        write(&path.join("m"), &files);
        let (out, err, code) = migrate(&path.join("m"), url, &["rebase", "002_fix", "003_fix"]);
        let scripts = up_scripts(&path.join("m"));
        let bodies: Vec<&str> = scripts.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(
            bodies,
            [
                "CREATE TABLE calls (id int);\n",
                "CREATE TABLE notes (id int);\n",
                "CREATE TABLE first_fix (id int);\n",
                "CREATE TABLE second_fix (id int);\n",
            ],
            "flat: {flat}, exit {code}, revisions now {scripts:?}\n{out}\n{err}"
        );
        assert_eq!(code, 0, "flat: {flat}\n{out}\n{err}");
    }
}

#[tokio::test]
async fn rebase_refuses_an_applied_revision_whose_slug_was_renamed_since() {
    // Regression: the history knows a revision by its version (a slug may be renamed: `check`
    // still passes, and the lock's chain ignores slugs), but rebase matched version and name, so
    // a revision applied under its old slug was renumbered, leaving the database with a version
    // the directory no longer has.
    let development = database().await;
    let url = development.url();
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path();
    revision(path, "20261101000000_calls", "calls");
    revision(path, "20261201090000_notes", "notes");
    run(path, url, &["upgrade"], 0);
    std::fs::rename(
        path.join("m/20261201090000_notes"),
        path.join("m/20261201090000_notes_table"),
    )
    .expect("rename the slug");
    let (out, _) = run(path, url, &["check"], 0);
    assert!(out.starts_with("ok: database at "), "{out}");
    // Another branch's revision, newer, merged in.
    revision(path, "20261201100000_tasks", "tasks");
    let (_, err) = run(path, url, &["rebase", "20261201090000_notes_table"], 1);
    assert!(
        err.contains("is applied in the connected database"),
        "{err}"
    );
    assert!(path.join("m/20261201090000_notes_table").is_dir());
}

#[tokio::test]
async fn revision_on_a_conflicted_lock_with_colliding_numbers_creates_nothing() {
    // Regression: `revision -m` refuses a conflicted lock before writing (so that rewriting the
    // lock does not bless it), but with sequential numbers the merge also leaves two `002`s, and
    // the scan stopped at that problem without reading the lock: the revision was created before
    // the command failed.
    let production = database().await;
    let url = production.url();
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path();
    git_ok(path, &["init", "-q"]);
    revision(path, "001_calls", "calls");
    run(path, url, &["lock"], 0);
    git_ok(path, &["add", "-A"]);
    git_ok(path, &["commit", "-qm", "calls"]);
    for branch in ["notes", "tasks"] {
        git_ok(path, &["checkout", "-qb", branch, "main"]);
        revision(path, &format!("002_{branch}"), branch);
        run(path, url, &["lock"], 0);
        git_ok(path, &["add", "-A"]);
        git_ok(path, &["commit", "-qm", branch]);
    }
    git_ok(path, &["checkout", "-q", "main"]);
    git_ok(path, &["merge", "-q", "--no-edit", "notes"]);
    let (merged, _) = git(path, &["merge", "--no-edit", "tasks"]);
    assert!(!merged, "the lock file conflicts");
    let (out, err) = run(path, url, &["revision", "-m", "more"], 1);
    assert!(
        !path.join("m/003_more").exists(),
        "a refused revision is not left behind:\n{out}\n{err}"
    );
    assert!(
        err.contains("has a git merge conflict") || err.contains("used by more than one revision"),
        "{err}"
    );
}

#[tokio::test]
async fn rebase_refuses_a_number_that_would_sort_before_the_head() {
    // Regression: directories sort as diesel sorts them, as text, so with unpadded numbers
    // (`1_a` … `9_x`, which the scanner accepts) the next number, `10`, sorts between `1_` and
    // `2_`. rebase renumbered `9_tasks` to `10_tasks` and exited 0, and the deploy then refused
    // it as out of order: the state rebase exists to avoid. Now it refuses and renames nothing.
    let production = database().await;
    let url = production.url();
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path();
    for i in 1..=8 {
        revision(path, &format!("{i}_t{i}"), &format!("t{i}"));
    }
    revision(path, "9_notes", "notes");
    run(path, url, &["lock"], 0);
    run(path, url, &["upgrade"], 0);
    // The other branch's 9, merged second.
    revision(path, "9_tasks", "tasks");
    let (_, err) = run(path, url, &["rebase", "9_tasks"], 1);
    assert!(
        err.contains("`10`, the next number for `9_tasks`, does not sort after `9`")
            && err.contains("Pad the versions"),
        "{err}"
    );
    assert!(path.join("m/9_tasks").is_dir() && !path.join("m/10_tasks").exists());
}

#[tokio::test]
async fn rebase_that_fails_part_way_leaves_no_revision_under_a_hidden_name() {
    // Regression: rebase moves every file to a hidden `.rebase-N-…` name, then to its new name.
    // When a move of the first pass failed (here a hidden name is taken, as an interrupted
    // rebase leaves them), the revisions moved before it stayed hidden: the scan ignores them,
    // `check` said the lock lists a revision the directory does not have (without saying where
    // it went), and `lock` then dropped it from the lock file for good.
    let development = database().await;
    let url = development.url();
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path();
    revision(path, "001_calls", "calls");
    revision(path, "002_a", "a");
    revision(path, "003_b", "b");
    revision(path, "004_theirs", "theirs");
    run(path, url, &["lock"], 0);
    write(
        &path.join("m"),
        &[(
            ".rebase-1-003_b/up.sql",
            "-- left by an interrupted rebase\n",
        )],
    );
    let (out, err, code) = migrate(&path.join("m"), url, &["rebase", "002_a", "003_b"]);
    let revisions = up_scripts(&path.join("m"));
    let names: Vec<&str> = revisions.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("_a") && !n.starts_with('.'))
            && !path.join("m/.rebase-0-002_a").exists(),
        "exit {code}: 002_a must stay visible (moved back or renamed), not hidden: {names:?}\n{out}\n{err}"
    );
}

#[tokio::test]
async fn rebase_of_a_shared_flat_version_asks_for_a_file_name_not_a_directory_name() {
    // Regression: in a flat (sqlx-style) directory there are no revision directories, but the
    // refusal of an ambiguous version said to name one by its directory name.
    let development = database().await;
    let url = development.url();
    let repo = tempfile::tempdir().expect("tempdir");
    let path = repo.path();
    flat_collision(path);
    let (_, err) = run(path, url, &["rebase", "002"], 1);
    assert!(
        err.contains("002_notes, 002_tasks") && !err.contains("directory name"),
        "{err}"
    );
}
