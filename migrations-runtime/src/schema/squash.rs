//! Squashing a long history: [`Migrator::squash`] writes the baseline that builds, on an empty
//! database, the schema and the rows of the revisions through a given one, proven equal to them
//! in two scratch databases; [`Migrator::prove_baseline`] proves a table's baseline equal to the
//! chain it replaces again, through the runner itself (the test `migrate squash` writes).

use std::collections::BTreeMap;

use migrations_schema::diff;
use tokio_postgres::Client;

use super::build::Scratch;
use super::digest::{self, Varying};
use super::generate::scratch_options;
use super::load::{self, TableRows};
use super::settle::{self, proven};
use super::{Method, Recipe, SchemaError};
use crate::{IntoTarget, Migrator};

/// A baseline `squash` generated and proved.
#[derive(Debug, Clone)]
pub struct Squash {
    /// How many revisions it replaces: the first `level` of the table.
    pub level: usize,
    /// `baseline/up.sql`: the schema, then the rows.
    pub up: String,
    /// `baseline/down.sql`: drops what up creates.
    pub down: String,
    /// The tables whose rows it copies, with their counts.
    pub tables: Vec<TableRows>,
    /// One line per object it creates.
    pub differences: Vec<String>,
    /// `table.column` of the columns whose values depend on when the revisions ran (two runs
    /// of the chain disagree on them): not compared, and left to their defaults if they have one.
    pub varying: Vec<String>,
    /// Definitions PostgreSQL spells differently once regenerated (equal in meaning).
    pub respelled: Vec<String>,
}

/// What [`Migrator::prove_baseline`] compared.
#[derive(Debug, Clone)]
pub struct BaselineProof {
    /// How many revisions the baseline replaces.
    pub level: usize,
    /// Tables, materialized views and sequences whose contents were compared.
    pub compared: usize,
    /// The columns not compared because two runs of the chain disagree on them.
    pub varying: Vec<String>,
    /// Definitions PostgreSQL spells differently (equal in meaning).
    pub respelled: Vec<String>,
}

impl Migrator<'_> {
    /// The baseline replacing the revisions through `through` (a version, `head`, `-2`, ...):
    /// up creates their schema (as the diff from an empty database writes it) and inserts the
    /// rows they left in every table; down drops it all. Proven before it is returned: the chain
    /// is built in one scratch database, the baseline run in another, and their catalogs, every
    /// table's rows and every sequence compared; then down must leave an empty database.
    /// `client`'s database is not changed.
    pub async fn squash(
        &self,
        client: &mut Client,
        through: impl IntoTarget,
    ) -> Result<Squash, SchemaError> {
        let level = through.into_target()?.level(self.migrations(), 0)?;
        if level == 0 {
            return Err(SchemaError::CannotSquash {
                reason: "there is nothing to squash at base: name the last revision the baseline replaces (`--through VERSION`)".to_owned(),
            });
        }
        let recipe = Recipe::Revisions {
            migrator: self,
            level,
        };
        let not_run = super::build::not_run(&recipe, &Method::ScratchDatabase);
        if !not_run.is_empty() {
            return Err(SchemaError::CannotSquash {
                reason: format!("the revisions to squash include Rust read from files, whose code this program cannot run ({}), so the rows they write would be missing from the baseline: squash through the revision before it, or run `squash` from the binary that embeds the directory", not_run.join(", ")),
            });
        }
        let options = scratch_options(self, client).await?;
        let read = self.read_options();
        let through = self.migrations().as_slice()[level - 1].label();
        let mut chain = Scratch::create(client, options).await?;
        let squashed = async {
            chain
                .run("setting the time zone", false, [FIRST_ZONE])
                .await?;
            chain.build(&recipe).await?;
            super::uncopyable::refuse(chain.client(), &through).await?;
            let at = chain.read(&read).await?;
            let owned = chain.read(&privileged(&read)).await?;
            let varying = run_dependent(client, options, &recipe, &read, &chain).await?;
            let dump = load::dump(chain.client(), &read, &varying).await?;
            let expected = digest::digests(chain.client(), &read, &varying).await?;
            let mut proof = Scratch::create(client, options).await?;
            let chain_at = Chain {
                at: &at,
                owned: &owned,
                through: &through,
                rows: (&expected, &varying),
            };
            let proved = self
                .prove_script(client, options, &mut proof, chain_at, &dump.script)
                .await;
            proof.drop(client).await?;
            let script = proved?;
            Ok(Squash {
                level,
                up: script.up,
                down: script.down,
                tables: dump.tables,
                differences: script.differences,
                varying: digest::listed(&varying),
                respelled: script.respelled,
            })
        }
        .await;
        chain.drop(client).await?;
        squashed
    }

    /// Writes the baseline's scripts for the chain at `chain` and runs them in `proof`, an empty
    /// scratch database, proving each: up (the schema, `rows`, then the grants and owners that
    /// differ once read) reaches the chain's schema and its rows, down an empty database again.
    async fn prove_script(
        &self,
        client: &Client,
        options: &crate::ConnectOptions,
        proof: &mut Scratch,
        chain: Chain<'_>,
        rows: &str,
    ) -> Result<Proven, SchemaError> {
        let read = self.read_options();
        let through = chain.through;
        self.as_the_runner_leaves_it(proof).await?;
        let empty = proof.read(&read).await?;
        let created = diff(&empty, chain.at);
        // The definitions are written as read under `read.search_path` (objects there without
        // their schema): the scripts run under it, whatever the runner's session has.
        let pinned = format!("SET LOCAL search_path = {};\n", read.search_path);
        let schema = created.script();
        let down = format!("{pinned}{}", diff(chain.at, &empty).script());
        let loaded = format!("{pinned}{schema}\n{rows}");
        proof.run("the baseline", true, [loaded.as_str()]).await?;
        let built = proof.read(&read).await?;
        let step = format!("the baseline's up script, against the revisions through {through}");
        let respelled = proven(client, options, &built, chain.at, &read, &step).await?;
        // Both scratch databases were built by the same role, so what differs once owners and
        // grants are read is what the revisions granted, revoked or gave away.
        let owned_read = privileged(&read);
        let built = proof.read(&owned_read).await?;
        let (grants, _) =
            settle::compare(client, options, &built, chain.owned, &owned_read).await?;
        let grants = match grants.is_empty() {
            true => String::new(),
            false => {
                let script = grants.script();
                let run = format!("{pinned}{script}");
                proof
                    .run("the baseline's grants", true, [run.as_str()])
                    .await?;
                let built = proof.read(&owned_read).await?;
                let step =
                    format!("the baseline's grants, against the revisions through {through}");
                proven(client, options, &built, chain.owned, &owned_read, &step).await?;
                script
            }
        };
        let up = format!("{loaded}{grants}");
        let found = digest::digests(proof.client(), &read, chain.rows.1).await?;
        let step = format!(
            "the baseline's up script, against the rows of the revisions through {through}"
        );
        same_rows(chain.rows.0, &found, step)?;
        proof
            .run("the baseline's down script", true, [down.as_str()])
            .await?;
        let back = proof.read(&read).await?;
        let step = "the baseline's down script, against an empty database";
        proven(client, options, &back, &empty, &read, step).await?;
        Ok(Proven {
            up,
            down,
            differences: created.differences().map(ToString::to_string).collect(),
            respelled,
        })
    }

    /// Makes the empty `scratch` what the runner leaves before a baseline runs: the schema of
    /// its history table there, unless `public` (the table itself is left out of every read).
    async fn as_the_runner_leaves_it(&self, scratch: &mut Scratch) -> Result<(), SchemaError> {
        if self.table().schema() == "public" {
            return Ok(());
        }
        let create = format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            crate::quote::ident(self.table().schema())
        );
        scratch
            .run("the history table's schema", true, [create.as_str()])
            .await
    }

    /// Proves the table's baseline equal to the revisions it replaces, as the runner uses it:
    /// one scratch database upgraded through the chain ([`Migrator::without_baseline`]), another
    /// upgraded with the baseline, and their catalogs, rows and sequences compared. What the
    /// test `migrate squash` writes calls; it needs the squashed revisions, so it cannot run once
    /// they are dropped. `client`'s database is not changed.
    pub async fn prove_baseline(&self, client: &mut Client) -> Result<BaselineProof, SchemaError> {
        let Some(baseline) = self.migrations().baseline() else {
            return Err(SchemaError::CannotBuild {
                reason: "this table has no baseline (`migrate squash --through REV` writes one)"
                    .to_owned(),
            });
        };
        let level = baseline.level();
        let squashed = &self.migrations().as_slice()[..level];
        if let Some(dropped) = squashed.iter().find(|r| r.is_squashed()) {
            return Err(SchemaError::CannotBuild {
                reason: format!("revision {} was dropped after the squash, so there is no chain left to prove the baseline against: remove the test `migrate squash` wrote", dropped.label()),
            });
        }
        let options = scratch_options(self, client).await?;
        let read = self.read_options();
        let through = squashed[level - 1].label();
        let chain_only = self.clone().without_baseline();
        let with_baseline = self.clone();
        let recipe = Recipe::Revisions {
            migrator: &chain_only,
            level,
        };
        let mut chain = Scratch::create(client, options).await?;
        let proved = async {
            chain.run("setting the time zone", false, [FIRST_ZONE]).await?;
            chain.build(&recipe).await?;
            let at = chain.read(&privileged(&read)).await?;
            let varying = run_dependent(client, options, &recipe, &read, &chain).await?;
            let expected = digest::digests(chain.client(), &read, &varying).await?;
            let mut base = Scratch::create(client, options).await?;
            let compared = async {
                base.build(&Recipe::Revisions {
                    migrator: &with_baseline,
                    level,
                })
                .await?;
                let ran: i64 = base
                    .client()
                    .query_one(
                        &format!("SELECT count(*) FROM {} WHERE method = 'baseline'", self.table()),
                        &[],
                    )
                    .await
                    .map_err(|source| SchemaError::Scratch {
                        action: "reading the history the baseline wrote".to_owned(),
                        source,
                    })?
                    .get(0);
                if ran != level as i64 {
                    return Err(SchemaError::CannotBuild {
                        reason: format!("the runner did not bring the empty database to {through} with the baseline ({ran} of {level} rows recorded by it): a bug, please report it"),
                    });
                }
                let owned = privileged(&read);
                let built = base.read(&owned).await?;
                let step = format!("the baseline, against the revisions through {through}");
                let respelled = proven(client, options, &built, &at, &owned, &step).await?;
                let found = digest::digests(base.client(), &read, &varying).await?;
                same_rows(&expected, &found, step)?;
                Ok(BaselineProof {
                    level,
                    compared: expected.len(),
                    varying: digest::listed(&varying),
                    respelled,
                })
            }
            .await;
            base.drop(client).await?;
            compared
        }
        .await;
        chain.drop(client).await?;
        proved
    }
}

/// The columns whose values depend on when the revisions ran ([`digest`]): those that differ
/// between `chain`, built by `recipe` in [`FIRST_ZONE`], and a second build of the same
/// revisions in [`SECOND_ZONE`].
async fn run_dependent(
    client: &Client,
    options: &crate::ConnectOptions,
    recipe: &Recipe<'_>,
    read: &migrations_schema::ReadOptions,
    chain: &Scratch,
) -> Result<Varying, SchemaError> {
    let first = digest::by_column(chain.client(), read).await?;
    let mut again = Scratch::create(client, options).await?;
    let second = async {
        // A day away from the first build's zone: the two disagree on today's date as they do
        // on the time.
        again
            .run("setting the time zone", false, [SECOND_ZONE])
            .await?;
        again.build(recipe).await?;
        digest::by_column(again.client(), read).await
    }
    .await;
    again.drop(client).await?;
    Ok(digest::varying(&first, &second?))
}

/// The session time zone of the chain's first build (UTC+14) and of its second (UTC-12):
/// 26 hours apart, so that `current_date`, `localtimestamp` and the like always differ between
/// them, as `now()` does.
const FIRST_ZONE: &str = "SET TimeZone = 'Pacific/Kiritimati'";
/// See [`FIRST_ZONE`].
const SECOND_ZONE: &str = "SET TimeZone = 'Etc/GMT+12'";

/// The scripts of a proven baseline.
struct Proven {
    up: String,
    down: String,
    /// One line per object up creates.
    differences: Vec<String>,
    respelled: Vec<String>,
}

/// The chain at the squashed revision, as the proof compares with it.
#[derive(Clone, Copy)]
struct Chain<'c> {
    /// Its catalog.
    at: &'c migrations_schema::Catalog,
    /// Its catalog with owners and grants.
    owned: &'c migrations_schema::Catalog,
    /// The last squashed revision, for messages.
    through: &'c str,
    /// Its rows' digests, and the columns they leave out.
    rows: (&'c BTreeMap<String, String>, &'c Varying),
}

/// Refuses, after `step`, rows whose digests `found` are not those `expected`.
fn same_rows(
    expected: &BTreeMap<String, String>,
    found: &BTreeMap<String, String>,
    step: String,
) -> Result<(), SchemaError> {
    let differences = digest::differences(expected, found);
    match differences.is_empty() {
        true => Ok(()),
        false => Err(SchemaError::RowsDiffer { step, differences }),
    }
}

/// `read` with owners and grants.
fn privileged(read: &migrations_schema::ReadOptions) -> migrations_schema::ReadOptions {
    migrations_schema::ReadOptions {
        privileges: true,
        ..read.clone()
    }
}
