//! Pairing sqlx-style flat files (`<v>_<slug>.up.sql`, `.down.sql`, `.sql`) into revision
//! candidates, ordered as sqlx orders them: by version as an integer.

use std::collections::BTreeMap;

use crate::assemble::{Candidate, OrderKey};
use crate::name::flat_kind_suffix;
use crate::name::{FlatKind, FlatName};
use crate::problem::{Ignored, Problem};
use crate::report::{FileData, ScanOptions, ScanReport};

/// A flat file with its parsed name.
pub(crate) struct FlatFile {
    pub name: FlatName,
    pub data: FileData,
}

/// Groups flat files by version into candidates; reports duplicates and mismatches.
pub(crate) fn pair_flat(
    files: Vec<FlatFile>,
    options: ScanOptions,
    report: &mut ScanReport,
) -> Vec<Candidate> {
    let problems = &mut report.problems;
    let mut by_number: BTreeMap<i64, Vec<FlatFile>> = BTreeMap::new();
    for file in files {
        by_number.entry(file.name.number).or_default().push(file);
    }
    let newest = by_number.keys().next_back().copied().unwrap_or(0);
    let mut out = Vec::new();
    for (number, group) in by_number {
        let (ups, downs): (Vec<_>, Vec<_>) = group
            .into_iter()
            .partition(|f| f.name.kind != FlatKind::Down);
        if ups.len() > 1 || downs.len() > 1 {
            let clashing = if ups.len() > 1 { &ups } else { &downs };
            let raw = &clashing[0].name.version.raw;
            problems.push(Problem::DuplicateVersion {
                version: raw.clone(),
                paths: clashing.iter().map(|f| f.data.display.clone()).collect(),
                next: format!("{:0width$}", newest.saturating_add(1), width = raw.len()),
            });
            continue;
        }
        let up = ups.into_iter().next();
        let down = downs.into_iter().next();
        match (up, down) {
            (Some(up), Some(down)) if up.name.kind == FlatKind::Simple => {
                let base = &up.data.display[..up.data.display.len() - ".sql".len()];
                let reason = format!(
                    "a plain `.sql` file is an up-only (sqlx \"simple\") migration and cannot pair with `{}`: rename it to `{base}.up.sql`",
                    down.data.display
                );
                problems.push(Problem::BadName {
                    path: up.data.display,
                    reason,
                });
            }
            (Some(up), Some(down)) if up.name.version.slug != down.name.version.slug => {
                problems.push(Problem::MismatchedPair {
                    up: up.data.display,
                    down: down.data.display,
                });
            }
            // sqlx never runs a down script without its up (zksync-era has one, a typo'd
            // version): an import lists it as ignored, a strict directory refuses it.
            (None, Some(down)) if options.allow_up_only => {
                report.ignored.push(Ignored {
                    path: down.data.display,
                    reason: "down script without an up script (never run)",
                });
            }
            (None, Some(down)) => {
                let expected = down.data.display.replace(".down.sql", ".up.sql");
                problems.push(Problem::DownWithoutUp {
                    path: down.data.display,
                    expected,
                });
            }
            (Some(up), down) => {
                let base = up.data.rel[..up.data.rel.len() - flat_kind_suffix(up.name.kind).len()]
                    .to_owned();
                out.push(Candidate {
                    down_expected: format!("{base}.down.sql"),
                    source: base,
                    version: up.name.version.clone(),
                    key: OrderKey::Number(number),
                    has_up: true,
                    up: Some(up.data),
                    down: down.map(|d| d.data),
                    // sqlx's flat layout has SQL files only.
                    up_rust: None,
                    down_rust: None,
                    metadata: None,
                });
            }
            (None, None) => {}
        }
    }
    out
}
