//! diesel's per-revision `metadata.toml`.

use crate::problem::Problem;
use crate::report::FileData;

/// diesel's `metadata.toml`: only `run_in_transaction = true|false` (and comments) are accepted.
/// Returns the value and its 1-based line.
pub(crate) fn parse(file: &FileData, problems: &mut Vec<Problem>) -> Option<(bool, usize)> {
    let mut value = None;
    for (index, raw) in file.text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let fail = |message: String| Problem::Metadata {
            path: file.display.clone(),
            line: index + 1,
            message,
        };
        let Some((key, val)) = line.split_once('=') else {
            problems.push(fail(format!("expected `key = value`, found `{line}`: the only key is `run_in_transaction = true|false`")));
            continue;
        };
        match (key.trim(), val.trim()) {
            ("run_in_transaction", "true") => value = Some((true, index + 1)),
            ("run_in_transaction", "false") => value = Some((false, index + 1)),
            ("run_in_transaction", other) => problems.push(fail(format!(
                "`run_in_transaction` must be `true` or `false`, found `{other}`"
            ))),
            (other, _) => problems.push(fail(format!(
                "unknown key `{other}`: the only key is `run_in_transaction` (true or false)"
            ))),
        }
    }
    value
}
