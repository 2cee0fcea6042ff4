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
