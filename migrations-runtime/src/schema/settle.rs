//! Comparing catalogs for meaning, not spelling. PostgreSQL does not always deparse an
//! expression to text that parses back to the same tree (`x IN ('a', 'b')` over `varchar` comes
//! back with its casts moved), so a schema rebuilt from its own catalog may spell a definition
//! differently from the original. When two catalogs differ, both are settled (generated into an
//! empty scratch database and read back, which reaches PostgreSQL's fixed point) and compared
//! again: what differs then differs in meaning.

use migrations_schema::{diff, Catalog, Diff, ReadOptions};
use tokio_postgres::Client;

use super::build::Scratch;
use super::SchemaError;
use crate::ConnectOptions;

/// `catalog` generated into an empty scratch database and read back: the spelling PostgreSQL
/// settles on.
pub(super) async fn settle(
    client: &Client,
    options: &ConnectOptions,
    catalog: &Catalog,
    read: &ReadOptions,
) -> Result<Catalog, SchemaError> {
    let mut scratch = Scratch::create(client, options).await?;
    let settled = async {
        let empty = scratch.read(read).await?;
        let script = diff(&empty, catalog).script();
        scratch
            .run("settling a schema", true, [script.as_str()])
            .await?;
        scratch.read(read).await
    }
    .await;
    scratch.drop(client).await?;
    settled
}

/// The differences in meaning from `found` to `expected`, and those in spelling alone.
pub(super) async fn compare(
    client: &Client,
    options: &ConnectOptions,
    found: &Catalog,
    expected: &Catalog,
    read: &ReadOptions,
) -> Result<(Diff, Vec<String>), SchemaError> {
    let direct = diff(found, expected);
    if direct.is_empty() {
        return Ok((direct, Vec::new()));
    }
    let settled = diff(
        &settle(client, options, found, read).await?,
        &settle(client, options, expected, read).await?,
    );
    let meant: Vec<(String, String)> = settled
        .differences()
        .map(|d| (d.kind.words().to_owned(), d.object.clone()))
        .collect();
    let respelled = direct
        .differences()
        .filter(|d| !meant.contains(&(d.kind.words().to_owned(), d.object.clone())))
        .map(ToString::to_string)
        .collect();
    Ok((settled, respelled))
}

/// Whether `found` is `expected`, allowing for respelled definitions: `Ok` with the respelled
/// ones, or `Err` with what really differs.
pub(super) async fn proven(
    client: &Client,
    options: &ConnectOptions,
    found: &Catalog,
    expected: &Catalog,
    read: &ReadOptions,
    step: &str,
) -> Result<Vec<String>, SchemaError> {
    let (left, respelled) = compare(client, options, found, expected, read).await?;
    if left.is_empty() {
        return Ok(respelled);
    }
    Err(SchemaError::Unproven {
        step: step.to_owned(),
        differences: left.differences().map(ToString::to_string).collect(),
    })
}
