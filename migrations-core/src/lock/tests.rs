use super::*;
use crate::revision::{Script, TransactionMode};

fn revision(source: &'static str, checksum: u8) -> Revision {
    let (version, name) = source.split_once('_').expect("test names have a slug");
    Revision::__new(
        version,
        name,
        source,
        Script::__new("up.sql", "SELECT 1;", TransactionMode::Wrapped),
        None,
        [checksum; 32],
    )
}

fn table(names: &[(&'static str, u8)]) -> Vec<Revision> {
    names.iter().map(|&(s, c)| revision(s, c)).collect()
}

fn disagreement(text: &str, revisions: &[Revision]) -> (String, Disagreement) {
    match verify(text, revisions) {
        Err(Defect::Disagrees { revision, reason }) => (revision, reason),
        other => panic!("expected a disagreement, got {other:?}"),
    }
}

#[test]
fn a_rendered_file_verifies_and_names_every_revision() {
    let revisions = table(&[("001_a", 1), ("002_b", 2)]);
    let text = render(&revisions);
    assert_eq!(verify(&text, &revisions), Ok(()));
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("001_a 0101010101010101 "), "{text}");
    assert!(lines[2].starts_with("head 002 "), "{text}");
    assert_eq!(verify(&render(&[]), &[]), Ok(()));
}

#[test]
fn the_chain_depends_on_order_and_every_earlier_checksum() {
    let ab = chain(&table(&[("001_a", 1), ("002_b", 2)]));
    let edited = chain(&table(&[("001_a", 9), ("002_b", 2)]));
    let other = chain(&table(&[("001_x", 1), ("002_b", 2)]));
    assert_ne!(ab[1], edited[1]);
    // The slug is not part of the history's identity: renaming it keeps the chain.
    assert_eq!(ab, other);
}

#[test]
fn each_kind_of_disagreement_names_the_first_revision_concerned() {
    let old = table(&[("001_a", 1), ("002_b", 2)]);
    let text = render(&old);
    let edited = table(&[("001_a", 1), ("002_b", 3)]);
    assert_eq!(
        disagreement(&text, &edited),
        ("002_b".into(), Disagreement::Checksum)
    );
    let added = table(&[("001_a", 1), ("002_b", 2), ("003_c", 3)]);
    assert_eq!(
        disagreement(&text, &added),
        ("003_c".into(), Disagreement::NotListed { listed: None })
    );
    let inserted = table(&[("001_a", 1), ("0015_z", 5), ("002_b", 2)]);
    assert_eq!(
        disagreement(&text, &inserted),
        (
            "0015_z".into(),
            Disagreement::NotListed {
                listed: Some("002_b".into())
            }
        )
    );
    let removed = table(&[("001_a", 1)]);
    assert_eq!(
        disagreement(&text, &removed),
        ("002_b".into(), Disagreement::Missing)
    );
}

#[test]
fn lines_merged_by_hand_fail_at_the_chain_of_the_second_branch() {
    let ours = table(&[("001_a", 1), ("20261201_ours", 2)]);
    let theirs = table(&[("001_a", 1), ("20261202_theirs", 3)]);
    let merged = table(&[("001_a", 1), ("20261201_ours", 2), ("20261202_theirs", 3)]);
    let body = |text: String| -> Vec<String> {
        let lines = text.lines().filter(|l| !l.starts_with('#'));
        lines.map(str::to_owned).collect()
    };
    let (ours, theirs) = (body(render(&ours)), body(render(&theirs)));
    // Both sides' revision lines kept, and the merged head's line, as a careless resolution
    // would write them.
    let text = format!("{}\n{}\n{}\n{}\n", ours[0], ours[1], theirs[1], theirs[2]);
    assert_eq!(
        disagreement(&text, &merged),
        ("20261202_theirs".into(), Disagreement::Chain)
    );
}

#[test]
fn conflict_markers_are_reported_with_both_sides_revisions() {
    let text = format!(
        "{HEADER}001_a 0101010101010101 1111111111111111\n<<<<<<< HEAD\n20261201_ours 0202020202020202 2222222222222222\nhead 20261201 2222222222222222\n||||||| base\nhead 001 1111111111111111\n=======\n20261202_theirs 0303030303030303 3333333333333333\nhead 20261202 3333333333333333\n>>>>>>> theirs\n"
    );
    match verify(&text, &[]) {
        Err(Defect::Conflicted { line, sides }) => {
            assert_eq!(line, HEADER.lines().count() + 2);
            assert_eq!(
                sides,
                [
                    vec!["20261201_ours".to_owned()],
                    vec!["20261202_theirs".to_owned()]
                ]
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_stale_head_line_or_stray_text_is_refused() {
    let revisions = table(&[("001_a", 1)]);
    let text = render(&revisions).replace("head 001", "head 002");
    assert_eq!(
        disagreement(&text, &revisions),
        ("001_a".into(), Disagreement::Head)
    );
    let text = render(&revisions) + "001_a extra\n";
    assert!(matches!(
        verify(&text, &revisions),
        Err(Defect::Malformed { .. })
    ));
    assert!(matches!(
        verify("just-one-word\n", &revisions),
        Err(Defect::Malformed { line: 1 })
    ));
}

#[test]
fn a_rendered_file_verifies_whatever_the_name_ends_with() {
    // Regression: the scanner accepts `003_trail ` (a slug ending in a space), but the file
    // `migrate lock` wrote for it reported the revision as missing (the parse trimmed it).
    let revisions = table(&[("001_a", 1), ("003_trail ", 3)]);
    let text = render(&revisions);
    assert_eq!(verify(&text, &revisions), Ok(()), "{text}");
}

#[test]
fn a_byte_order_mark_an_editor_added_does_not_count() {
    let revisions = table(&[("001_a", 1)]);
    let text = format!("\u{feff}{}", render(&revisions).replace('\n', "\r\n"));
    assert_eq!(verify(&text, &revisions), Ok(()));
}
