//! Drift: a live database compared with what its recorded revisions produce.

use migrations_schema::{diff, Catalog, Diff, Name};
use tokio_postgres::Client;

use super::{in_private_schema, settle, Method, Recipe, SchemaError};
use crate::{IntoTarget, Migrator, RevisionId};

/// A live database compared with what its recorded revision produces.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Drift {
    /// The revision the history records, `None` at base.
    #[serde(serialize_with = "label")]
    pub at: Option<RevisionId>,
    /// How the expected schema was built.
    pub method: Method,
    /// From the database (found) to the revisions' schema (expected): its SQL would remove the
    /// drift.
    pub diff: Diff,
    /// Definitions spelled differently on each side but equal in meaning (see `settle`): not
    /// drift.
    pub respelled: Vec<String>,
    /// Rust revisions not run to build the expected schema, taken to change no schema (see
    /// [`super::Expected::not_run`]).
    pub not_run: Vec<String>,
}

fn label<S: serde::Serializer>(at: &Option<RevisionId>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(id) => s.collect_str(id),
        None => s.serialize_str("base"),
    }
}

impl Drift {
    /// No difference.
    pub fn is_clean(&self) -> bool {
        self.diff.is_empty()
    }
}

impl Migrator<'_> {
    /// Compares the connected database with the schema its recorded revisions produce. Reads
    /// only: no lock, no history table created, nothing changed in the database (the expected
    /// schema is built in a scratch database or a rolled-back private schema).
    pub async fn drift(&self, client: &mut Client) -> Result<Drift, SchemaError> {
        let state = self.state(&*client).await?;
        if !state.unknown.is_empty() {
            let versions: Vec<&str> = state.unknown.iter().map(|u| u.version.as_str()).collect();
            let versions = versions.join(", ");
            return Err(SchemaError::Unknown { versions });
        }
        let level = state.current_level();
        let revisions = self.migrations().as_slice();
        if let Some(missing) = state.rows[..level].iter().position(Option::is_none) {
            return Err(SchemaError::Gap {
                applied: revisions[level - 1].label(),
                missing: revisions[missing].label(),
            });
        }
        let expected = self
            .build(
                client,
                &Recipe::Revisions {
                    migrator: self,
                    level,
                },
            )
            .await?;
        let found = self.read(client, &expected.method).await?;
        let (diff, respelled) = match (&expected.method, self.connect_options()) {
            (Method::ScratchDatabase, Some(options)) => {
                let read = self.read_options();
                settle::compare(client, options, &found, &expected.catalog, &read).await?
            }
            _ => (diff(&found, &expected.catalog), Vec::new()),
        };
        Ok(Drift {
            at: level.checked_sub(1).map(|i| RevisionId::of(&revisions[i])),
            method: expected.method,
            diff,
            respelled,
            not_run: expected.not_run,
        })
    }

    /// Compares `public` in the caller's transaction with what the revisions up to `target`
    /// produce, built in a private schema inside a savepoint of `tx` and rolled back (see
    /// [`Method::PrivateSchema`]): for a check made under the migration lock, such as a takeover,
    /// before anything is recorded. `ignore` names tables the comparison leaves out besides the
    /// history's. `tx` is left as it was.
    pub async fn drift_in(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        target: impl IntoTarget,
        ignore: &[Name],
    ) -> Result<Diff, SchemaError> {
        let (found, expected) = self.catalogs_in(tx, target, ignore).await?;
        Ok(diff(&found, &expected))
    }

    /// What [`Migrator::drift_in`] compares: `public` as it is in `tx`, and as the revisions up
    /// to `target` build it. For callers that look at the rows behind a difference (a NOT NULL
    /// over NULLs, a unique key over duplicates) before deciding what to do.
    pub async fn catalogs_in(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        target: impl IntoTarget,
        ignore: &[Name],
    ) -> Result<(Catalog, Catalog), SchemaError> {
        let target = target.into_target()?;
        // Looked up first: reading a missing history would abort the caller's transaction.
        let current = match self
            .table()
            .exists(tx)
            .await
            .map_err(crate::MigrateError::from)?
        {
            true => self.state(tx).await?.current_level(),
            false => 0,
        };
        let level = target.level(self.migrations(), current)?;
        let mut read = self.read_options();
        read.exclude.extend_from_slice(ignore);
        let expected = in_private_schema(
            tx,
            &Recipe::Revisions {
                migrator: self,
                level,
            },
            &read,
        )
        .await?;
        read.schemas = vec!["public".to_owned()];
        let mut found = Catalog::read_in(tx, &read)
            .await
            .map_err(|source| SchemaError::Read {
                which: "the database",
                source,
            })?;
        found.schemas.clear();
        Ok((found, expected))
    }
}
