//! Work of the caller's under the runners' lock, for tools on top of the runtime (the
//! simulator's takeover of an Alembic-era database): the same wait as every runner, in one
//! transaction that holds the lock until it ends.

use futures_util::future::BoxFuture;
use tokio_postgres::{Client, GenericClient, Transaction};

use super::Migrator;
use crate::lock::{self, LockHolder};
use crate::MigrateError;

impl<'m> Migrator<'m> {
    /// Runs `body` in a transaction holding the migration lock of this runner's history table,
    /// after waiting for it as runners do (up to [`Migrator::with_lock_timeout`], then failing
    /// with the holder named), and commits when `body` returns `Ok`. An error, a panic or a
    /// dropped future rolls the transaction back, which releases the lock: it cannot leak.
    /// `body` gets this runner back (a future that borrowed it from outside could not be
    /// promised to outlive the transaction).
    ///
    /// ```no_run
    /// # async fn demo(migrator: &migrations_runtime::Migrator<'_>, client: &mut tokio_postgres::Client) -> Result<(), migrations_runtime::MigrateError> {
    /// let applied = migrator
    ///     .locked(client, |_migrator, tx| {
    ///         Box::pin(async move {
    ///             let row = tx.query_one("SELECT count(*) FROM schema_revisions", &[]).await;
    ///             Ok::<_, migrations_runtime::MigrateError>(row.map(|r| r.get::<_, i64>(0)).unwrap_or(0))
    ///         })
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn locked<T, E>(
        &self,
        client: &mut Client,
        body: impl for<'t> FnOnce(&'t Self, &'t Transaction<'t>) -> BoxFuture<'t, Result<T, E>>,
    ) -> Result<T, E>
    where
        E: From<MigrateError>,
    {
        self.in_locked(client, body).await.map_err(E::from)?
    }

    /// `body`'s result inside the runner's own error: the lock's wait and commit fail as
    /// [`MigrateError`], `body` as itself.
    async fn in_locked<T, E>(
        &self,
        client: &mut Client,
        body: impl for<'t> FnOnce(&'t Self, &'t Transaction<'t>) -> BoxFuture<'t, Result<T, E>>,
    ) -> Result<Result<T, E>, MigrateError> {
        let key = self.table.lock_key();
        let (tx, _) = locked_transaction!(self, client, key);
        let value = match body(self, &tx).await {
            Ok(value) => value,
            Err(error) => return Ok(Err(error)),
        };
        tx.commit()
            .await
            .map_err(|source| lock::LockError::Query { source })?;
        Ok(Ok(value))
    }

    /// The session holding this runner's migration lock in `client`'s database, if one does:
    /// its pid, application, address, state and for how long (what a lock timeout reports).
    pub async fn lock_holder(
        &self,
        client: &impl GenericClient,
    ) -> Result<Option<LockHolder>, MigrateError> {
        lock::holder(client, self.table.lock_key())
            .await
            .map_err(|source| lock::LockError::Query { source }.into())
    }
}
