//! The compile-time syntax check agrees with the PostgreSQL server, on every script of every
//! real history of other projects (`MIGRATIONS_CORPORA`), of the project's own revisions, and on broken
//! variants of each (one token deleted, the text cut short).
//!
//! The server's verdict must be about syntax alone, on the exact text, whatever the database
//! holds: PostgreSQL's simple-query protocol runs the raw parser over the whole query string
//! before executing any of it. So each script is sent behind a first statement that raises a
//! marker error when it runs: the marker means the server's grammar accepted every statement
//! (and nothing of the script ran); any other error is the grammar rejecting it, with the
//! position of the offending token, which must be the line and column we report.
//!
//! The grammar we embed (libpg_query) is PostgreSQL 17's; the test server is the machine's
//! PostgreSQL 15. Syntax that only a newer grammar accepts would show up here as a disagreement.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use migrations_core::parse;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::Client;

/// Raises `P0001 parsed` when executed; being first, it runs before anything of the script.
const MARKER: &str =
    "DO $grammar_probe$BEGIN RAISE EXCEPTION 'parsed' USING ERRCODE = 'P0001'; END$grammar_probe$;";

/// Every `.sql` file of the project's own revisions and, when `MIGRATIONS_CORPORA` names them,
/// of the corpora (else `test` notes that it checks the project's own alone).
fn scripts(test: &str) -> (Vec<PathBuf>, bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpora = migrations_core::corpora::dir(&format!("{test}, on the corpora,"));
    let mut files = Vec::new();
    for dir in corpora
        .iter()
        .cloned()
        .chain([root.join("../app-db/migrations")])
    {
        collect(&dir, &mut files);
    }
    files.sort();
    (files, corpora.is_some())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("corpus directory is readable") {
        let path = entry.expect("corpus entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

/// `Ok` when the server's grammar accepts `text`, else its message and 1-based line and column.
async fn server(client: &Client, text: &str) -> Result<(), (String, usize, usize)> {
    let probe = format!("{MARKER}{text}");
    let error = client
        .batch_execute(&probe)
        .await
        .expect_err("the marker always raises");
    let db = error.as_db_error().expect("the server answered");
    if db.code().code() == "P0001" && db.message() == "parsed" {
        return Ok(());
    }
    let position = match db.position() {
        Some(ErrorPosition::Original(p)) => *p as usize,
        other => panic!("a parse error without a position ({other:?}): {db}"),
    };
    // The position counts characters of the probe, from 1.
    let offset_chars = position - 1 - MARKER.chars().count();
    let before: String = text.chars().take(offset_chars).collect();
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    Err((db.message().to_owned(), line, column))
}

/// Ours, in the same shape.
fn ours(text: &str) -> Result<(), (String, usize, usize)> {
    parse::parse(text)
        .map(drop)
        .map_err(|e| (e.message, e.line, e.column))
}

/// Broken variants of `text`: a token deleted at three places, and the text cut after a token.
fn variants(text: &str) -> Vec<String> {
    let Ok(scan) = pg_query::scan(text) else {
        return Vec::new();
    };
    let tokens: Vec<(usize, usize)> = scan
        .tokens
        .iter()
        .map(|t| (t.start as usize, t.end as usize))
        .collect();
    if tokens.len() < 4 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for k in [tokens.len() / 4, tokens.len() / 2, tokens.len() * 3 / 4] {
        let (start, end) = tokens[k];
        out.push(format!("{}{}", &text[..start], &text[end..]));
    }
    out.push(text[..tokens[tokens.len() / 3].1].to_owned());
    out
}

#[tokio::test]
async fn the_grammar_agrees_with_the_server_on_every_corpus_script_and_its_broken_variants() {
    let (_db, client) = common::fresh().await;
    let (files, corpora) = scripts("the grammar's agreement with the server");
    assert!(
        files.len() > if corpora { 800 } else { 5 },
        "the scripts are there: {}",
        files.len()
    );
    let (mut checked, mut rejected) = (0, 0);
    let mut disagreements = Vec::new();
    for file in &files {
        let raw = fs::read(file).expect("script is readable");
        let Ok(text) = migrations_core::source::normalise(&raw) else {
            continue;
        };
        let mut texts = vec![text.clone()];
        texts.extend(variants(&text));
        for (i, candidate) in texts.iter().enumerate() {
            let (server, ours) = (server(&client, candidate).await, ours(candidate));
            checked += 1;
            rejected += usize::from(server.is_err());
            let agree = match (&server, &ours) {
                (Ok(()), Ok(())) => true,
                // Same verdict, same place; messages may differ in wording between versions.
                (Err((_, sl, sc)), Err((_, ol, oc))) => (sl, sc) == (ol, oc),
                _ => false,
            };
            if !agree {
                disagreements.push(format!(
                    "{} (variant {i}): server {server:?}, ours {ours:?}",
                    file.display()
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {checked} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // Most variants are broken: the test exercises both verdicts.
    assert!(rejected > checked / 3, "{rejected} of {checked} rejected");
}

/// One splitter for both: where the hand-written splitter (used without the `parse` feature)
/// and the grammar both draw statements, they draw the same ones on every real script.
#[test]
fn the_hand_splitter_draws_the_grammar_statements_on_every_corpus_script() {
    const TEST: &str = "the hand splitter's agreement with the grammar";
    let mut differing = Vec::new();
    for file in scripts(TEST).0 {
        let text = migrations_core::source::normalise(&fs::read(&file).expect("readable"))
            .expect("corpus scripts are UTF-8");
        let Ok(grammar) = parse::statement_ranges(&text) else {
            continue;
        };
        let hand: Vec<_> = migrations_core::sql::split(&text)
            .into_iter()
            .map(|s| s.start..s.end)
            .collect();
        if hand != grammar {
            differing.push(file.display().to_string());
        }
    }
    assert!(differing.is_empty(), "{}", differing.join("\n"));
}

/// Statement boundaries come from the raw parser without trees (for speed), the lint's statements
/// from the full parse: both must draw the same ranges on every real script, and reject the same
/// scripts at the same place.
#[test]
fn boundaries_without_trees_are_the_boundaries_of_the_trees_on_every_corpus_script() {
    const TEST: &str = "boundaries without trees";
    let mut differing = Vec::new();
    for file in scripts(TEST).0 {
        let text = migrations_core::source::normalise(&fs::read(&file).expect("readable"))
            .expect("corpus scripts are UTF-8");
        let trees = parse::parse(&text).map(|p| {
            p.statements
                .into_iter()
                .map(|s| s.range)
                .collect::<Vec<_>>()
        });
        if trees != parse::statement_ranges(&text) {
            differing.push(file.display().to_string());
        }
    }
    assert!(differing.is_empty(), "{}", differing.join("\n"));
}
