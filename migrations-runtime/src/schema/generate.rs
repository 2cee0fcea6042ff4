//! Revisions written from a diff, each proven in a scratch database before the caller writes a
//! file: `autogenerate` (the revisions at head to a declared schema, staged as the safety lint
//! advises) and `baseline` (an empty database to the live one).
//! A proof compares catalogs as [`super::settle`] does, so that respelled definitions are not
//! failures.

use std::path::Path;

use migrations_schema::{
    concurrent_index_changes, diff, diff_with_renames, stages, Diff, Purpose, Rename,
};
use tokio_postgres::Client;

use super::build::Scratch;
use super::settle::proven;
use super::{build, declared_scripts, Method, Recipe, SchemaError};
use crate::{ConnectOptions, Migrator};

/// One revision to write.
#[derive(Debug, Clone)]
pub struct GeneratedRevision {
    /// What it is for (a slug suffix when there are several).
    pub purpose: Purpose,
    /// Whether it runs in one transaction; otherwise its up.sql must start with
    /// `-- migrate: no-transaction`.
    pub transactional: bool,
    /// The up script (hazards as comments).
    pub up: String,
    /// The down script.
    pub down: String,
    /// One line per difference it makes.
    pub differences: Vec<String>,
}

/// What a generation produced and how its proof went.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The revisions, in order.
    pub revisions: Vec<GeneratedRevision>,
    /// Definitions PostgreSQL spells differently once regenerated (equal in meaning).
    pub respelled: Vec<String>,
}

/// The scratch server's connection options, or why there is none: a proof needs a database of
/// its own.
pub(super) async fn scratch_options<'o>(
    migrator: &'o Migrator<'_>,
    client: &Client,
) -> Result<&'o ConnectOptions, SchemaError> {
    let method = build::choose(client, migrator.connect_options()).await?;
    match (method, migrator.connect_options()) {
        (Method::ScratchDatabase, Some(options)) => Ok(options),
        (Method::PrivateSchema { why }, _) => Err(SchemaError::CannotBuild {
            reason: format!("generated revisions are proven in a scratch database, and {why}: grant the role CREATEDB, or point DATABASE_URL at a development server (`--local`)"),
        }),
        (Method::ScratchDatabase, None) => Err(SchemaError::CannotBuild {
            reason: "generated revisions are proven in a scratch database, and the runner has no connection options".to_owned(),
        }),
    }
}

fn lines(diff: &Diff) -> Vec<String> {
    diff.differences().map(ToString::to_string).collect()
}

impl Migrator<'_> {
    /// The revisions that take this runner's revisions at head to the schema declared at
    /// `declared` (a `.sql` file or a directory of them), or `None` when they already match.
    /// Staged as the safety lint advises (enum labels first, outside a transaction; indexes on
    /// existing tables built `CONCURRENTLY` and new constraints validated last, outside a
    /// transaction) and proven in a scratch database next to `client`'s: the ups applied in
    /// turn reach the declared schema, the downs in reverse return to head. `client`'s database
    /// is not changed.
    ///
    /// `renames` are the tables and columns the person says were renamed (a catalog cannot
    /// tell): renamed in the up script, renamed back in the down, keeping their values.
    pub async fn autogenerate(
        &self,
        client: &mut Client,
        declared: &Path,
        renames: &[Rename],
    ) -> Result<Option<Generated>, SchemaError> {
        let options = scratch_options(self, client).await?;
        let read = self.read_options();
        let scripts = declared_scripts(declared)?;
        let target = build::in_scratch(client, options, &Recipe::Sql { scripts }, &read).await?;
        let mut scratch = Scratch::create(client, options).await?;
        let level = self.migrations().len();
        let generated = async {
            scratch
                .build(&Recipe::Revisions {
                    migrator: self,
                    level,
                })
                .await?;
            let head = scratch.read(&read).await?;
            let up = diff_with_renames(&head, &target, renames)?;
            if up.is_empty() {
                return Ok(None);
            }
            let manual: Vec<String> = up.manual().map(ToString::to_string).collect();
            if !manual.is_empty() {
                return Err(SchemaError::Manual { changes: manual });
            }
            let stages = stages(&head, &target, &up);
            let mut states = vec![head];
            for stage in &stages {
                let what = format!("the generated {} revision", stage.purpose.slug());
                let script = stage.diff.script();
                match stage.transactional {
                    true => scratch.run(&what, true, [script.as_str()]).await?,
                    false => scratch.run(&what, false, stage.diff.statements()).await?,
                }
                states.push(scratch.read(&read).await?);
            }
            let reached = states.last().unwrap_or(&target);
            let declared_name = declared.display().to_string();
            let mut respelled = proven(
                client,
                options,
                reached,
                &target,
                &read,
                &format!("the generated up scripts, against {declared_name}"),
            )
            .await?;
            let mut revisions = Vec::new();
            let mut downs = Vec::new();
            for (k, stage) in stages.iter().enumerate() {
                let back = match stage.purpose {
                    Purpose::Online => {
                        concurrent_index_changes(&states[k], &diff(&states[k + 1], &states[k]))
                    }
                    Purpose::Schema => {
                        let reversed: Vec<Rename> = renames.iter().map(Rename::reversed).collect();
                        diff_with_renames(&states[k + 1], &states[k], &reversed)?
                    }
                    Purpose::Labels => diff(&states[k + 1], &states[k]),
                };
                revisions.push(GeneratedRevision {
                    purpose: stage.purpose,
                    transactional: stage.transactional,
                    up: stage.diff.script(),
                    down: back.script(),
                    differences: lines(&stage.diff),
                });
                downs.push(back);
            }
            for (revision, back) in revisions.iter().zip(&downs).rev() {
                let what = format!(
                    "the generated {} revision's down script",
                    revision.purpose.slug()
                );
                match revision.transactional {
                    true => scratch.run(&what, true, [revision.down.as_str()]).await?,
                    false => scratch.run(&what, false, back.statements()).await?,
                }
            }
            let back = scratch.read(&read).await?;
            respelled.extend(
                proven(
                    client,
                    options,
                    &back,
                    &states[0],
                    &read,
                    "the generated down scripts, against head",
                )
                .await?,
            );
            Ok(Some(Generated {
                revisions,
                respelled,
            }))
        }
        .await;
        scratch.drop(client).await?;
        generated
    }

    /// A revision that builds the connected database's schema from nothing, for a database
    /// that predates this tool: proven in a scratch database (up reproduces the schema, down
    /// empties it again). The database itself is read only.
    pub async fn baseline(&self, client: &mut Client) -> Result<Generated, SchemaError> {
        let options = scratch_options(self, client).await?;
        let read = self.read_options();
        let live = self.read(client, &Method::ScratchDatabase).await?;
        let mut scratch = Scratch::create(client, options).await?;
        let generated = async {
            let empty = scratch.read(&read).await?;
            let up = diff(&empty, &live);
            let down = diff(&live, &empty);
            scratch
                .run("the baseline", true, [up.script().as_str()])
                .await?;
            let built = scratch.read(&read).await?;
            let respelled = proven(
                client,
                options,
                &built,
                &live,
                &read,
                "the baseline's up script, against the database",
            )
            .await?;
            scratch
                .run("the baseline's down script", true, [down.script().as_str()])
                .await?;
            let back = scratch.read(&read).await?;
            proven(
                client,
                options,
                &back,
                &empty,
                &read,
                "the baseline's down script, against an empty database",
            )
            .await?;
            let revision = GeneratedRevision {
                purpose: Purpose::Schema,
                transactional: true,
                up: up.script(),
                down: down.script(),
                differences: lines(&up),
            };
            Ok(Generated {
                revisions: vec![revision],
                respelled,
            })
        }
        .await;
        scratch.drop(client).await?;
        generated
    }

    /// The differences between the revisions at head and the schema declared at `declared`
    /// (for `check --schema`, the CI gate): empty when they match.
    pub async fn check_schema(
        &self,
        client: &mut Client,
        declared: &Path,
    ) -> Result<Diff, SchemaError> {
        let head = self
            .schema_of(client, &super::SchemaSource::Migrations(None))
            .await?;
        let target = self
            .schema_of(client, &super::SchemaSource::Declared(declared.to_owned()))
            .await?;
        Ok(diff(&head.catalog, &target.catalog))
    }
}
