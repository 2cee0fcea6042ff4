//! What every command starts from: the revisions of a [`Source`], a [`Migrator`] configured from
//! the global options, and a connection.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use migrations_core::{scan, InvalidDirectory, Migrations, ScanOptions, ScanReport};
use tokio_postgres::Client;

use super::{CliError, GlobalArgs};
use crate::connect::ConnectOptions;
use crate::history::HistoryTable;
use crate::plan::Overrides;
use crate::timeouts::Timeouts;
use crate::{MigrateError, Migrator};

/// Where the revisions come from.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// Compiled into the binary.
    Embedded(&'a Migrations),
    /// Read from disk now.
    Directory {
        /// The directory.
        path: PathBuf,
        /// Accept up-only revisions.
        allow_up_only: bool,
    },
}

/// Loaded revisions plus, for a directory, the scan report (`check --verbose`, the syntax
/// refusals).
pub(super) struct Loaded<'a> {
    pub(super) migrations: Cow<'a, Migrations>,
    pub(super) report: Option<ScanReport>,
    pub(super) dir: Option<PathBuf>,
}

impl<'a> Source<'a> {
    /// The revisions, read and validated now for a directory.
    pub(super) fn load(&self) -> Result<Loaded<'a>, CliError> {
        let (path, allow_up_only) = match self {
            Source::Embedded(m) => {
                return Ok(Loaded {
                    migrations: Cow::Borrowed(*m),
                    report: None,
                    dir: None,
                })
            }
            Source::Directory {
                path,
                allow_up_only,
            } => (path, *allow_up_only),
        };
        let display = path.display().to_string();
        // Warnings (e.g. string vs numeric order) are compile warnings for embedded tables and
        // `check --verbose` lines here, not noise on every command.
        let report = scan(
            path,
            &display,
            ScanOptions {
                allow_up_only,
                ..ScanOptions::default()
            },
        );
        let migrations = report
            .clone()
            .into_migrations()
            .map_err(|problems| InvalidDirectory {
                dir: display.clone(),
                problems,
            })?;
        Ok(Loaded {
            migrations: Cow::Owned(migrations),
            report: Some(report),
            dir: Some(path.clone()),
        })
    }
}

impl GlobalArgs {
    /// The connection options of `--database-url` (or `DATABASE_URL`), `None` when unset.
    pub fn connect_options(&self) -> Result<Option<ConnectOptions>, CliError> {
        let url = self
            .database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty());
        url.map(ConnectOptions::parse)
            .transpose()
            .map_err(|e| CliError::from(MigrateError::from(e)))
    }

    /// A runner for `migrations` configured from every option: history table, overrides, lock
    /// wait, statement timeouts and, when a database is given, its connection options (which
    /// `no-transaction` revisions need). Every binary builds its runner here, so an option is
    /// honoured by every command that migrates.
    pub fn migrator<'m>(&self, migrations: &'m Migrations) -> Result<Migrator<'m>, CliError> {
        let migrator = Migrator::client_only(migrations)
            .with_table(HistoryTable::parse(&self.history_table)?)
            .with_overrides(Overrides {
                allow_out_of_order: self.allow_out_of_order,
                allow_unknown: self.allow_unknown,
                ignore_checksums: self.ignore_checksums,
            })
            .with_lock_timeout(Duration::from_secs(self.lock_wait))
            .with_timeouts(Timeouts {
                lock: Some(self.lock_timeout),
                statement: self.statement_timeout,
            })
            .ignoring_tables(self.ignore_tables.iter().map(String::as_str));
        Ok(match self.connect_options()? {
            Some(options) => migrator.with_connect_options(options),
            None => migrator,
        })
    }
}

/// Connects to the database of `migrator` (its connection options), printing the options'
/// notes (e.g. a TLS mode that does not verify the server).
pub(super) async fn connect(migrator: &Migrator<'_>) -> Result<Client, CliError> {
    let options = migrator.connect_options().ok_or(CliError::NoDatabase)?;
    for note in options.notes() {
        eprintln!("{note}");
    }
    Ok(options.connect().await.map_err(MigrateError::from)?)
}
