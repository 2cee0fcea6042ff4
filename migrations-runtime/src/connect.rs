//! Connection strings and connecting: `DATABASE_URL` as a URI or `key=value` list, the
//! `postgresql+asyncpg://` form of the old Alembic setup, `sslmode` over rustls, and redaction so
//! that no password reaches a message or a log.

use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};

mod tls;
mod url;

use url::extract_params;
pub(crate) use url::redact;

/// Errors of this phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection string does not parse.
    #[error("invalid connection string `{redacted}`: {reason}")]
    Invalid {
        /// The string with its password hidden.
        redacted: String,
        /// What is wrong.
        reason: String,
    },
    /// TLS could not be set up (bad `sslrootcert`, unknown `sslmode`).
    #[error("cannot set up TLS for `{redacted}`: {reason}")]
    Tls {
        /// The string with its password hidden.
        redacted: String,
        /// What is wrong.
        reason: String,
    },
    /// The server refused or could not be reached.
    #[error("cannot connect to `{redacted}`: {hint}")]
    Connect {
        /// The string with its password hidden.
        redacted: String,
        /// What to check, from the kind of failure.
        hint: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

/// How strictly the server's certificate is checked (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `disable`: plain text.
    Disable,
    /// `prefer` (the default): TLS if the server offers it, certificate not checked.
    Prefer,
    /// `require`: TLS, certificate not checked.
    Require,
    /// `verify-ca`: TLS, certificate chain checked against the roots, host name not checked.
    VerifyCa,
    /// `verify-full`: TLS, chain and host name checked.
    VerifyFull,
}

/// A parsed connection target.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    config: Config,
    tls: TlsMode,
    root_cert: Option<String>,
    redacted: String,
    notes: Vec<String>,
}

impl ConnectOptions {
    /// Parses a connection string (`postgres://user:pass@host/db?sslmode=require`,
    /// `host=/tmp port=5432 dbname=x`, or `postgresql+asyncpg://...`).
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let redacted = redact(url);
        let mut notes = Vec::new();
        let mut text = url.trim().to_owned();
        for driver in [
            "postgresql+asyncpg://",
            "postgres+asyncpg://",
            "postgresql+psycopg2://",
            "postgresql+psycopg://",
        ] {
            if let Some(rest) = text.strip_prefix(driver) {
                notes.push(format!(
                    "note: `{}` is a SQLAlchemy driver URL; connecting as `postgresql://`",
                    &driver[..driver.len() - 3]
                ));
                text = format!("postgresql://{rest}");
            }
        }
        let (text, params) = extract_params(&text, &["sslmode", "sslrootcert"]);
        let tls = match params.iter().find(|(k, _)| k == "sslmode").map(|(_, v)| v.as_str()) {
            None | Some("prefer") => TlsMode::Prefer,
            Some("disable") => TlsMode::Disable,
            Some("allow") => TlsMode::Prefer,
            Some("require") => TlsMode::Require,
            Some("verify-ca") => TlsMode::VerifyCa,
            Some("verify-full") => TlsMode::VerifyFull,
            Some(other) => {
                return Err(ConnectError::Invalid {
                    redacted,
                    reason: format!("unknown sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"),
                })
            }
        };
        let root_cert = params
            .into_iter()
            .find(|(k, _)| k == "sslrootcert")
            .map(|(_, v)| v);
        // As libpq: given a root certificate, `require` verifies the chain (`verify-ca`).
        let tls = match (tls, &root_cert) {
            (TlsMode::Require, Some(_)) => TlsMode::VerifyCa,
            _ => tls,
        };
        let mut config = Config::from_str(&text).map_err(|e| ConnectError::Invalid {
            redacted: redacted.clone(),
            reason: format!(
                "{e}: expected `postgres://user:password@host:port/database` or `key=value` pairs"
            ),
        })?;
        config.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        // So that a runner is recognisable in pg_stat_activity, and in our own lock-timeout
        // message naming the holder, unless the URL names itself.
        if config.get_application_name().is_none() {
            config.application_name(default_application_name());
        }
        Ok(Self {
            config,
            tls,
            root_cert,
            redacted,
            notes,
        })
    }

    /// Options for an already built driver config (no TLS unless the config asks for it).
    pub fn from_config(config: Config) -> Self {
        let tls = match config.get_ssl_mode() {
            SslMode::Disable => TlsMode::Disable,
            SslMode::Require => TlsMode::Require,
            _ => TlsMode::Prefer,
        };
        let redacted = describe(&config);
        Self {
            config,
            tls,
            root_cert: None,
            redacted,
            notes: Vec::new(),
        }
    }

    /// The same server, user and TLS settings, for another database.
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    pub(crate) fn with_dbname(&self, dbname: &str) -> Self {
        let mut copy = self.clone();
        copy.config.dbname(dbname);
        copy.redacted = describe(&copy.config);
        copy
    }

    /// The connection string with its password replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// Remarks about how the string was read (e.g. the asyncpg scheme), for the CLI to print.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The TLS mode in force.
    pub fn tls_mode(&self) -> TlsMode {
        self.tls
    }

    /// The driver config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connects and spawns the connection task on the current tokio runtime.
    pub async fn connect(&self) -> Result<Client, ConnectError> {
        Ok(self.connect_with_task().await?.0)
    }

    /// The same options, with `settings` (`(name, value)`, no spaces in values) made at
    /// connection through the startup packet's `options`, as `-c name=value`. Unlike `SET`,
    /// they are the session's from its first statement, and a transaction-pooling proxy cannot
    /// silently move them to another client: it refuses the parameter or drops it, and
    /// the runner checks which.
    pub fn with_session_settings(&self, settings: &[(&str, String)]) -> Self {
        let mut options = self.config.get_options().unwrap_or_default().to_owned();
        for (name, value) in settings {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str(&format!("-c {name}={value}"));
        }
        let mut copy = self.clone();
        copy.config.options(&options);
        copy
    }

    /// Connects and returns the client with its connection task, which closes the socket when
    /// aborted. Dropping a [`Client`] alone does not close it while a statement is in flight.
    pub(crate) async fn connect_dedicated(&self) -> Result<DedicatedConnection, ConnectError> {
        let (client, task) = self.connect_with_task().await?;
        Ok(DedicatedConnection {
            client,
            task: task.abort_handle(),
        })
    }

    async fn connect_with_task(
        &self,
    ) -> Result<(Client, tokio::task::JoinHandle<()>), ConnectError> {
        let fail = |source: tokio_postgres::Error| ConnectError::Connect {
            redacted: self.redacted.clone(),
            hint: hint(&source),
            source,
        };
        // Like libpq, never negotiate TLS over a Unix socket: it is local by definition, and a
        // socket path is not a name a certificate could be checked against.
        #[cfg(unix)]
        let unix_only = self
            .config
            .get_hosts()
            .iter()
            .all(|h| matches!(h, tokio_postgres::config::Host::Unix(_)));
        #[cfg(not(unix))]
        let unix_only = false;
        if self.tls == TlsMode::Disable || unix_only {
            let (client, connection) = self.config.connect(NoTls).await.map_err(fail)?;
            return Ok((client, tokio::spawn(async move { drop(connection.await) })));
        }
        let tls_config =
            tls::client_config(self.tls, self.root_cert.as_deref()).map_err(|reason| {
                ConnectError::Tls {
                    redacted: self.redacted.clone(),
                    reason,
                }
            })?;
        let connector =
            tokio_postgres_rustls::MakeRustlsConnect::new(Arc::unwrap_or_clone(tls_config));
        let (client, connection) = self.config.connect(connector).await.map_err(fail)?;
        Ok((client, tokio::spawn(async move { drop(connection.await) })))
    }
}

/// A connection whose socket closes when it is dropped, even mid-statement, so the server ends
/// the session and releases whatever it held.
#[derive(Debug)]
pub(crate) struct DedicatedConnection {
    client: Client,
    task: tokio::task::AbortHandle,
}

impl DedicatedConnection {
    /// The client.
    pub(crate) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The client, shared.
    pub(crate) fn client_ref(&self) -> &Client {
        &self.client
    }
}

impl Drop for DedicatedConnection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What to check for a connection failure.
fn hint(error: &tokio_postgres::Error) -> &'static str {
    use tokio_postgres::error::SqlState;
    match error.code() {
        Some(c)
            if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            "authentication failed: check the user and password"
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => {
            "the database does not exist: create it, or correct the name"
        }
        Some(c) if *c == SqlState::TOO_MANY_CONNECTIONS => {
            "the server has no free connection slots: retry later, or raise max_connections"
        }
        Some(_) => "the server refused the connection",
        None if error.to_string().contains("TLS") || error.to_string().contains("tls") => {
            "TLS failed: check sslmode and sslrootcert"
        }
        None => "check that the server is running and that host and port are right",
    }
}

/// A readable, password-free description of a driver config.
pub(crate) fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "host={} port={port} user={} dbname={}",
        hosts.join(","),
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    )
}

/// `app-db <program>`, e.g. `app-db migrate`.
fn default_application_name() -> String {
    let exe = std::env::current_exe().ok();
    let program = exe.as_deref().and_then(std::path::Path::file_stem);
    let program = program.map_or_else(|| "runtime".into(), |p| p.to_string_lossy());
    // PostgreSQL keeps 63 bytes; cut on a character boundary.
    let mut name = format!("app-db {program}");
    while name.len() > 63 {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runners_name_themselves_unless_the_url_does() {
        let named = ConnectOptions::parse("postgres://u@h/db").expect("valid");
        let name = named.config().get_application_name().expect("set");
        assert!(name.starts_with("app-db ") && name.len() <= 63, "{name}");
        let own = ConnectOptions::parse("host=h user=u application_name=deployer").expect("valid");
        assert_eq!(own.config().get_application_name(), Some("deployer"));
    }

    #[test]
    fn parses_asyncpg_and_ssl_modes() {
        let o = ConnectOptions::parse("postgresql+asyncpg://user:pw@localhost:5432/911_training")
            .expect("parses");
        assert_eq!(o.config().get_dbname(), Some("911_training"));
        assert_eq!(o.notes().len(), 1);
        assert!(!o.redacted().contains("pw"));
        let v =
            ConnectOptions::parse("postgres://h/x?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem")
                .expect("parses");
        assert_eq!(v.tls_mode(), TlsMode::VerifyFull);
        assert_eq!(v.root_cert.as_deref(), Some("/tmp/ca.pem"));
        let pinned =
            ConnectOptions::parse("postgres://h/x?sslmode=require&sslrootcert=/tmp/ca.pem")
                .expect("parses");
        assert_eq!(
            pinned.tls_mode(),
            TlsMode::VerifyCa,
            "libpq: require + root cert = verify-ca"
        );
        let kv =
            ConnectOptions::parse("host=/tmp port=5433 dbname=x sslmode=disable").expect("parses");
        assert_eq!(
            (kv.tls_mode(), kv.config().get_ports()),
            (TlsMode::Disable, &[5433][..])
        );
        let bad =
            ConnectOptions::parse("postgres://u:hunter2@h/x?sslmode=bogus").expect_err("refused");
        assert!(
            !bad.to_string().contains("hunter2") && bad.to_string().contains("unknown sslmode"),
            "{bad}"
        );
    }
}
