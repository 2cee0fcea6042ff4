//! Rust revisions: finding the function each `up.rs` / `down.rs` must define and deciding how
//! the runner calls it. Fallible, so it runs before code generation.
//!
//! The file is parsed here only to check its shape and give a message naming the file; the
//! compiler then compiles the file itself (`include!`), so type errors inside it point at its
//! own lines.

use std::path::{Path, PathBuf};

use migrations_core::Revision;

/// How the runner calls a revision's function, decided by its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// `up(tx)`: once, in the transaction that records the revision.
    Once,
    /// `up(tx, cursor)`: batch after batch, each committed with its progress, until it returns
    /// `None`.
    Batched,
}

/// One Rust script to compile into the table, in table order.
pub(crate) struct Function {
    /// The file, for `include!`.
    pub path: PathBuf,
    /// `up` or `down`.
    pub name: &'static str,
    /// How it is called.
    pub call: Call,
}

/// The functions of every Rust script of `revisions`, or a message per file that lacks one.
/// `dir` is the directory on disk, `display` as the user wrote it. A file that does not parse
/// is also added to `unparsable`: the failed expansion still hands it to the compiler, whose
/// error points at the line and column.
pub(crate) fn functions(
    dir: &Path,
    display: &str,
    revisions: &[Revision],
    (errors, unparsable): (&mut Vec<String>, &mut Vec<PathBuf>),
) -> Vec<Function> {
    // A squashed revision has no file left to compile.
    let scripts = revisions
        .iter()
        .filter(|r| !r.is_squashed())
        .flat_map(|r| [Some((r.up(), "up")), r.down().map(|d| (d, "down"))])
        .flatten()
        .filter(|(script, _)| script.is_rust());
    let mut found = Vec::new();
    for (script, name) in scripts {
        let shown = format!("{display}/{}", script.file());
        // The compiler names the file in its errors as given here: the real path reads best
        // (a migrations directory reached through a symlink is shown where it lives).
        let path = dir.join(script.file());
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        match function(script.sql(), name) {
            Ok(call) => found.push(Function { path, name, call }),
            Err(problem) => {
                if syn::parse_file(script.sql()).is_err() {
                    unparsable.push(path);
                }
                errors.push(format!("`{shown}` {problem}"))
            }
        }
    }
    found
}

/// How `name` in `source` is called, or what is wrong with it (after the file's name).
fn function(source: &str, name: &str) -> Result<Call, String> {
    let expected = expected(name);
    let file = syn::parse_file(source).map_err(|e| {
        format!("is not valid Rust ({e}; the compiler's error for the file points at the line): fix it; the file must define {expected}")
    })?;
    if !file.attrs.is_empty() {
        return Err("opens with an inner attribute (a `//!` doc comment or `#![...]`), which the file cannot have: it is compiled inside a module of the macro's (`include!`); write `//` comments, and put attributes on the items".to_owned());
    }
    let function = file.items.iter().find_map(|item| match item {
        syn::Item::Fn(f) if f.sig.ident == name => Some(f),
        _ => None,
    });
    let Some(function) = function else {
        return Err(format!("has no function `{name}`: define {expected}"));
    };
    let fix = |what: &str| format!("defines `{name}` but {what}: write {expected}");
    if !matches!(function.vis, syn::Visibility::Public(_)) {
        return Err(fix("not `pub`"));
    }
    if function.sig.asyncness.is_none() {
        return Err(fix("not `async`"));
    }
    if matches!(function.sig.output, syn::ReturnType::Default) {
        return Err(fix("returns nothing (errors must reach the runner)"));
    }
    match function.sig.inputs.len() {
        1 => Ok(Call::Once),
        2 => Ok(Call::Batched),
        n => Err(fix(&format!("takes {n} parameters"))),
    }
}

fn expected(name: &str) -> String {
    format!(
        "`pub async fn {name}(tx: &mut Transaction<'_>) -> Result<(), E>` (run once, in the transaction that records the revision), or `pub async fn {name}(tx: &mut Transaction<'_>, cursor: Option<C>) -> Result<Option<C>, E>` (a batched backfill: called until it returns `Ok(None)`, each batch committed with its cursor), where `Transaction` is `migrations_runtime::tokio_postgres::Transaction`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameters_decide_the_call() {
        let once = "pub async fn up(tx: &mut T<'_>) -> Result<(), E> { Ok(()) }";
        assert_eq!(function(once, "up"), Ok(Call::Once));
        let batched = "use x::y;\npub async fn down(tx: &mut T<'_>, c: Option<i64>) -> Result<Option<i64>, E> { Ok(None) }";
        assert_eq!(function(batched, "down"), Ok(Call::Batched));
    }

    #[test]
    fn a_wrong_shape_names_what_is_wrong() {
        let message = |source: &str| function(source, "up").expect_err("refused");
        assert!(message("fn down() {}").starts_with("has no function `up`"));
        assert!(message("async fn up(tx: T) -> R {}").contains("not `pub`"));
        assert!(message("pub fn up(tx: T) -> R {}").contains("not `async`"));
        assert!(message("pub async fn up(tx: T) {}").contains("returns nothing"));
        assert!(message("pub async fn up() -> R {}").contains("takes 0 parameters"));
        assert!(message("pub async fn up(").starts_with("is not valid Rust"));
        assert!(message("//! Docs.\npub async fn up(tx: T) -> R {}")
            .starts_with("opens with an inner attribute"));
    }
}
