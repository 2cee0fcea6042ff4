//! The session a `no-transaction` revision runs in: its limits are the session's, so they must
//! stick to it for every statement, which a transaction-pooling proxy cannot promise.

use migrations_core::Revision;

use crate::apply::ApplyError;
use crate::connect::{ConnectError, ConnectOptions, DedicatedConnection};
use crate::timeouts::Timeouts;
use crate::MigrateError;

/// Opens the revision's own connection with its limits set at startup, and checks that the
/// session it got is really its own: through a transaction-pooling proxy (PgBouncer in
/// `transaction` mode) consecutive statements may run in different server sessions, so the
/// session lock, the limits and the statement order would not hold. Such a proxy either refuses
/// the startup `options` or drops them; both are detected, and the revision is refused before
/// anything of it runs.
pub(super) async fn open(
    options: &ConnectOptions,
    timeouts: &Timeouts,
    revision: &Revision,
) -> Result<DedicatedConnection, MigrateError> {
    let marker = marker();
    let mut settings = timeouts.settings();
    settings.push(("app_db.session", marker.clone()));
    let pooled = |reason: String| ApplyError::NeedsSession {
        revision: revision.label(),
        reason,
    };
    let mut own = match options
        .with_session_settings(&settings)
        .connect_dedicated()
        .await
    {
        Ok(own) => own,
        Err(ConnectError::Connect { ref source, .. }) if refused_options(source) => {
            let said = source
                .as_db_error()
                .map(|e| e.message())
                .unwrap_or_default();
            return Err(pooled(format!("it refused the session settings (\"{said}\")")).into());
        }
        Err(e) => return Err(e.into()),
    };
    let seen: Option<String> = own
        .client()
        .query_typed_one("SELECT current_setting('app_db.session', true)", &[])
        .await
        .map_err(|source| crate::lock::LockError::Query { source })?
        .get(0);
    if seen.as_deref() != Some(marker.as_str()) {
        return Err(pooled(
            "it dropped the session settings given at connection, so this is not a session of our own".to_owned(),
        )
        .into());
    }
    // PostgreSQL 14+: notice a vanished client within a second even mid-statement. Not a
    // startup setting, so that older servers still connect.
    let _ = own
        .client()
        .batch_execute("SET client_connection_check_interval = '1s'")
        .await;
    Ok(own)
}

/// PgBouncer's answer to startup `options` it does not pass on.
fn refused_options(error: &tokio_postgres::Error) -> bool {
    error
        .as_db_error()
        .is_some_and(|e| e.message().contains("unsupported startup parameter"))
}

/// A value no other session has: process id and clock.
fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}
