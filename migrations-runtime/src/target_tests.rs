use super::*;

/// The text `spec` parsed and resolved, as every caller does it.
fn resolve(spec: &str, migrations: &Migrations, current: usize) -> Result<Resolved, TargetError> {
    spec.parse::<Target>()?.resolve(migrations, current)
}
use migrations_core::{Layout, Revision, Script, TransactionMode};

static REVS: &[Revision] = &[
    Revision::__new(
        "20141113193818",
        "a",
        "2014-11-13-193818_a",
        Script::__new("a/up.sql", "SELECT 1;", TransactionMode::Wrapped),
        None,
        [0; 32],
    ),
    Revision::__new(
        "20141113200000",
        "b",
        "2014-11-13-200000_b",
        Script::__new("b/up.sql", "SELECT 1;", TransactionMode::Wrapped),
        None,
        [0; 32],
    ),
    Revision::__new(
        "20150101000000",
        "c",
        "2015-01-01-000000_c",
        Script::__new("c/up.sql", "SELECT 1;", TransactionMode::Wrapped),
        None,
        [0; 32],
    ),
];
static M: Migrations = Migrations::__embedded(Layout::Directories, REVS);

fn level(spec: &str, current: usize) -> Result<usize, TargetError> {
    resolve(spec, &M, current).map(|r| r.level)
}

#[test]
fn keywords_versions_and_prefixes() {
    assert_eq!(level("head", 0), Ok(3));
    assert_eq!(level("base", 3), Ok(0));
    assert_eq!(level("2014-11-13-193818", 0), Ok(1));
    assert_eq!(level("20141113200000_b", 0), Ok(2));
    assert_eq!(level("2015", 0), Ok(3));
    assert_eq!(level("2014-11-13-2", 0), Ok(2));
    assert!(
        matches!(level("2014", 0), Err(TargetError::Ambiguous { candidates, .. }) if candidates.len() == 2)
    );
    assert!(matches!(level("9", 0), Err(TargetError::Unknown { .. })));
    assert!(matches!(level("  ", 0), Err(TargetError::Empty)));
}

#[test]
fn relative_forms() {
    assert_eq!(
        resolve("+1", &M, 1),
        Ok(Resolved {
            level: 2,
            relative_to_current: Some(1)
        })
    );
    assert_eq!(
        resolve("-1", &M, 2),
        Ok(Resolved {
            level: 1,
            relative_to_current: Some(-1)
        })
    );
    assert_eq!(level("head-1", 0), Ok(2));
    assert_eq!(level("base+2", 3), Ok(2));
    assert_eq!(level("20141113193818+2", 0), Ok(3));
    assert_eq!(level("2015-1", 0), Ok(2));
    assert_eq!(level("2014-11-13-193818-1", 3), Ok(0));
}

#[test]
fn walking_off_the_ends_is_an_error() {
    assert_eq!(
        level("-2", 1),
        Err(TargetError::PastBase {
            target: "-2".into(),
            steps: 2,
            available: 1
        })
    );
    assert_eq!(
        level("+3", 1),
        Err(TargetError::PastHead {
            target: "+3".into(),
            steps: 3,
            available: 2
        })
    );
    assert!(level("head+1", 0).is_err());
}

#[test]
fn targets_parse_once_into_their_kind() {
    let parsed = |text: &str| text.parse::<Target>();
    assert_eq!(parsed("HEAD"), Ok(Target::Head));
    assert_eq!(parsed(" heads "), Ok(Target::Head));
    assert_eq!(parsed("Base"), Ok(Target::Base));
    assert_eq!(parsed("-1"), Ok(Target::Relative(-1)));
    assert_eq!(parsed("+2"), Ok(Target::Relative(2)));
    assert_eq!(
        parsed("head-2"),
        Ok(Target::Offset {
            from: Anchor::Head,
            steps: -2
        })
    );
    assert_eq!(
        parsed("current+1"),
        Ok(Target::Offset {
            from: Anchor::Current,
            steps: 1
        })
    );
    assert_eq!(
        parsed("2014-11-13-193818"),
        Ok(Target::Revision("2014-11-13-193818".into()))
    );
    assert_eq!(parsed("  "), Err(TargetError::Empty));
    assert!(matches!(parsed("+x"), Err(TargetError::Unknown { .. })));
    for text in [
        "head", "base", "current", "-1", "+3", "head-1", "base+2", "003+2",
    ] {
        let target = parsed(text).expect("parses");
        assert_eq!(target.to_string(), text);
        assert_eq!(parsed(&target.to_string()), Ok(target));
    }
}

/// Regression: the boot check's fast path was keyed to the literal `head`, so `HEAD`, the
/// head's version or `base+N` reaching it read the whole history for nothing.
#[test]
fn the_boot_check_answers_for_every_target_that_is_the_head_at_head() {
    let at_head = |text: &str| {
        text.parse::<Target>()
            .expect("parses")
            .is_head_when_at_head(&M)
    };
    for text in [
        "head",
        "HEAD",
        "heads",
        "20150101000000",
        "2015",
        "base+3",
        "current",
        "+0",
        "head-0",
    ] {
        assert!(at_head(text), "{text}");
    }
    for text in [
        "head-1",
        "base",
        "-1",
        "+1",
        "20141113193818",
        "2014",
        "nope",
    ] {
        assert!(!at_head(text), "{text}");
    }
}

#[test]
fn levels_are_described() {
    assert_eq!(describe_level(&M, 0), "base");
    assert_eq!(describe_level(&M, 3), "20150101000000_c");
}

const fn rev(version: &'static str, source: &'static str) -> Revision {
    Revision::__new(
        version,
        "t",
        source,
        Script::__new("t.up.sql", "SELECT 1;", TransactionMode::Wrapped),
        None,
        [0; 32],
    )
}
static FLAT: &[Revision] = &[
    rev("1", "1_t"),
    rev("2", "2_t"),
    rev("3", "3_t"),
    rev("21", "21_t"),
];
static F: Migrations = Migrations::__embedded(Layout::Flat, FLAT);

#[test]
fn signed_targets_are_relative_even_when_a_version_is_that_number() {
    // Regression: `-1` matched version `1` and `downgrade -1` reverted two revisions.
    assert_eq!(
        resolve("-1", &F, 3),
        Ok(Resolved {
            level: 2,
            relative_to_current: Some(-1)
        })
    );
    assert_eq!(resolve("+1", &F, 1).map(|r| r.level), Ok(2));
    // `2-1` is revision 2 minus one, not version 21.
    assert_eq!(resolve("2-1", &F, 0).map(|r| r.level), Ok(1));
    assert_eq!(resolve("21", &F, 0).map(|r| r.level), Ok(4));
}

#[test]
fn names_on_disk_are_targets() {
    assert_eq!(level("2014-11-13-193818_a", 0), Ok(1));
    assert_eq!(level("2015-01-01-000000", 0), Ok(3));
}
