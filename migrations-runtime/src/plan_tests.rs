use migrations_core::{Layout, Migrations, Revision, Script, TransactionMode};

use super::*;

const fn script(sql: &'static str) -> Script {
    Script::__new("x/up.sql", sql, TransactionMode::Wrapped)
}

static REVS: &[Revision] = &[
    Revision::__new(
        "001",
        "a",
        "001_a",
        script("SELECT 1;"),
        Some(script("SELECT 1;")),
        [1; 32],
    ),
    Revision::__new("002", "b", "002_b", script("SELECT 2;"), None, [2; 32]),
    Revision::__new(
        "003",
        "c",
        "003_c",
        script("SELECT 3;"),
        Some(script("SELECT 3;")),
        [3; 32],
    ),
    Revision::__new(
        "004",
        "d",
        "004_d",
        script("SELECT 4;"),
        Some(script("SELECT 4;")),
        [4; 32],
    ),
];
static M: Migrations = Migrations::__embedded(Layout::Directories, REVS);

fn row(version: &str, checksum: u8) -> AppliedRevision {
    AppliedRevision {
        version: version.into(),
        name: "n".into(),
        checksum: vec![checksum; 32],
        checksum_algorithm: 1,
        applied_at: String::new(),
        duration_ms: Some(1),
        applied_by: "test".into(),
        method: "upgrade".into(),
    }
}

/// The revisions the one planner runs for `direction` towards the text `target`.
fn plan_of(s: &State, direction: Direction, target: &str) -> Result<Vec<usize>, PlanError> {
    let target: Target = target.parse()?;
    s.plan(&M, direction, &target).map(|plan| plan.revisions)
}

fn up(s: &State, target: &str) -> Result<Vec<usize>, PlanError> {
    plan_of(s, Direction::Up, target)
}

fn down(s: &State, target: &str) -> Result<Vec<usize>, PlanError> {
    plan_of(s, Direction::Down, target)
}

fn state(rows: &[(&str, u8)]) -> State {
    State::new(&M, rows.iter().map(|(v, c)| row(v, *c)).collect())
}

#[test]
fn upgrade_plans_pending_up_to_target() {
    let s = state(&[("001", 1)]);
    assert_eq!(s.current_level(), 1);
    assert_eq!(up(&s, "head"), Ok(vec![1, 2, 3]));
    assert_eq!(up(&s, "+2"), Ok(vec![1, 2]));
    assert_eq!(up(&s, "003"), Ok(vec![1, 2]));
    assert_eq!(up(&state(&[]), "+1"), Ok(vec![0]));
}

#[test]
fn wrong_direction_is_refused_with_the_other_command() {
    let s = state(&[("001", 1), ("002", 2), ("003", 3)]);
    let err = down(&s, "+1").expect_err("refused");
    assert!(err.to_string().contains("use `upgrade +1`"), "{err}");
    let err = up(&s, "001").expect_err("refused");
    assert!(
        err.to_string().contains("below the current revision 003_c"),
        "{err}"
    );
    assert!(up(&s, "-1").is_err());
}

#[test]
fn downgrade_refuses_irreversible_before_anything() {
    let s = state(&[("001", 1), ("002", 2), ("003", 3)]);
    assert_eq!(down(&s, "-1"), Ok(vec![2]));
    assert_eq!(
        down(&s, "-2"),
        Err(PlanError::Irreversible {
            target: "-2".into(),
            revision: "002_b".into()
        })
    );
    assert!(down(&s, "base").is_err());
}

#[test]
fn refusals() {
    let edited = state(&[("001", 9)]);
    assert!(
        matches!(edited.check(&M, Overrides::default()), Err(PlanError::ChecksumMismatch { changes }) if changes.len() == 1)
    );
    assert!(edited
        .check(
            &M,
            Overrides {
                ignore_checksums: true,
                ..Overrides::default()
            }
        )
        .is_ok());

    let newer_db = state(&[("001", 1), ("999", 1)]);
    assert!(matches!(
        newer_db.check(&M, Overrides::default()),
        Err(PlanError::UnknownApplied { .. })
    ));
    assert!(newer_db
        .check(
            &M,
            Overrides {
                allow_unknown: true,
                ..Overrides::default()
            }
        )
        .is_ok());

    let gap = state(&[("001", 1), ("003", 3)]);
    let err = gap
        .check(&M, Overrides::default())
        .expect_err("out of order");
    assert_eq!(
        err,
        PlanError::OutOfOrder {
            pending: vec!["002_b".into()],
            newest: "003_c".into()
        }
    );
    assert_eq!(up(&gap, "head"), Ok(vec![1, 3]));

    let mut future = row("001", 1);
    future.checksum_algorithm = 7;
    let s = State::new(&M, vec![future]);
    assert!(matches!(
        s.check(&M, Overrides::default()),
        Err(PlanError::UnknownAlgorithm { algorithm: 7, .. })
    ));
}

/// Three revisions and a baseline replacing the first two; with `dropped`, the first is gone
/// from disk (only the manifest names it).
fn squashed(dropped: bool) -> (tempfile::TempDir, Migrations) {
    use migrations_core::baseline::{render, Manifest, Squashed};
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, sql) in [
        ("001_a", "SELECT 1;"),
        ("002_b", "SELECT 2;"),
        ("003_c", "SELECT 3;"),
    ] {
        std::fs::create_dir(dir.path().join(name)).expect("mkdir");
        std::fs::write(dir.path().join(name).join("up.sql"), sql).expect("up");
        std::fs::write(dir.path().join(name).join("down.sql"), sql).expect("down");
    }
    let chain = migrations_core::load_dir(dir.path(), "m", Default::default()).expect("valid");
    let up = "SELECT 12;\n";
    std::fs::create_dir(dir.path().join("baseline")).expect("mkdir");
    std::fs::write(dir.path().join("baseline/up.sql"), up).expect("up");
    std::fs::write(dir.path().join("baseline/down.sql"), "SELECT 0;\n").expect("down");
    let manifest = Manifest {
        up: migrations_core::source::checksum(up),
        squashed: chain.iter().take(2).map(Squashed::of).collect(),
    };
    std::fs::write(dir.path().join("baseline/squashed.list"), render(&manifest)).expect("list");
    if dropped {
        std::fs::remove_dir_all(dir.path().join("001_a")).expect("drop");
    }
    let loaded = migrations_core::load_dir(dir.path(), "m", Default::default()).expect("valid");
    (dir, loaded)
}

#[test]
fn the_baseline_runs_only_from_an_empty_history_to_its_level_or_beyond() {
    let (_dir, m) = squashed(false);
    let up = |applied: &[bool], level| plan_to(&m, applied, Direction::Up, level);
    let empty = [false, false, false];
    assert!(up(&empty, 3).baseline && up(&empty, 2).baseline);
    assert_eq!(up(&empty, 3).covered(&m), 2);
    assert_eq!(up(&empty, 3).revisions, [0, 1, 2]);
    assert!(!up(&empty, 1).baseline, "short of the baseline: the chain");
    assert!(
        !up(&[true, false, false], 3).baseline,
        "in the chain: the chain"
    );
    assert!(
        !up(&[false, false, true], 3).baseline,
        "not empty: the chain"
    );
    let down = plan_to(&m, &[true, true, true], Direction::Down, 0);
    assert!(!down.baseline, "the chain's down scripts are there");
    assert!(up(&empty, 3).runnable(&m, "head").is_ok());
}

#[test]
fn a_dropped_revision_runs_only_inside_the_baseline() {
    let (_dir, m) = squashed(true);
    assert!(m.as_slice()[0].is_squashed() && !m.as_slice()[1].is_squashed());
    let plan = |applied: &[bool], direction, level| plan_to(&m, applied, direction, level);
    let empty = [false, false, false];
    assert!(plan(&empty, Direction::Up, 3).runnable(&m, "head").is_ok());
    let chain = plan(&empty, Direction::Up, 3).without_baseline();
    assert!(matches!(
        chain.runnable(&m, "head"),
        Err(PlanError::Squashed { revision, .. }) if revision == "001_a"
    ));
    let all = [true, true, true];
    let to_base = plan(&all, Direction::Down, 0);
    assert!(
        to_base.baseline,
        "down to base through the baseline's down script"
    );
    assert!(to_base.clone().runnable(&m, "base").is_ok());
    assert!(plan(&all, Direction::Down, 1).runnable(&m, "001").is_ok());
    assert!(matches!(
        plan(&all, Direction::Down, 0).without_baseline().runnable(&m, "base"),
        Err(PlanError::Squashed { revision, .. }) if revision == "001_a"
    ));
    assert!(
        plan(&[true, false, false], Direction::Up, 3)
            .runnable(&m, "head")
            .is_ok(),
        "002 is still on disk"
    );
}
