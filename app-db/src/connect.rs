//! Connection strings and connecting: `DATABASE_URL` as a URI or `key=value` list, the
//! `postgresql+asyncpg://` form of the old Alembic setup, `sslmode` over rustls, and redaction so
//! that no password reaches a message or a log.

use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};

mod tls;

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
        let mut config = Config::from_str(&text).map_err(|e| ConnectError::Invalid {
            redacted: redacted.clone(),
            reason: e.to_string(),
        })?;
        config.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
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
            tokio::spawn(async move { drop(connection.await) });
            return Ok(client);
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
        tokio::spawn(async move { drop(connection.await) });
        Ok(client)
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

/// Hides the password of a connection string, in any of its forms.
pub fn redact(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (scheme, rest) = url.split_at(scheme_end + 3);
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rfind('@') {
            Some(at) => match authority[..at].split_once(':') {
                Some((user, _)) => format!("{user}:***{}", &authority[at..]),
                None => authority.to_owned(),
            },
            None => authority.to_owned(),
        };
        return format!("{scheme}{authority}{}", redact_query(tail));
    }
    let (rest, params) = extract_params(url, &["password"]);
    if params.is_empty() {
        rest
    } else {
        format!("{rest} password=***").trim().to_owned()
    }
}

fn redact_query(tail: &str) -> String {
    match tail.split_once('?') {
        Some((path, query)) => {
            let parts: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{path}?{}", parts.join("&"))
        }
        None => tail.to_owned(),
    }
}

/// A readable, password-free description of a driver config.
pub fn describe(config: &Config) -> String {
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

/// Removes `keys` from a URI query string or a `key=value` list; returns the rest and the removed
/// pairs (values unquoted / percent-decoded).
fn extract_params(text: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let mut found = Vec::new();
    if text.contains("://") {
        let Some((base, query)) = text.split_once('?') else {
            return (text.to_owned(), found);
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some((k, v)) if keys.contains(&k) => found.push((k.to_owned(), percent_decode(v))),
                _ => kept.push(pair),
            }
        }
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rebuilt, found);
    }
    let mut kept = Vec::new();
    for (key, value, raw) in key_value_pairs(text) {
        if keys.contains(&key.as_str()) {
            found.push((key, value));
        } else {
            kept.push(raw);
        }
    }
    (kept.join(" "), found)
}

/// Splits `k=v k2='quoted \' value'` into (key, unquoted value, raw text) triples.
fn key_value_pairs(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars
            .peek()
            .is_some_and(|&(_, c)| c.is_whitespace() || c == '=')
        {
            chars.next();
        }
        let mut value = String::new();
        let quoted = chars.peek().is_some_and(|&(_, c)| c == '\'');
        if quoted {
            chars.next();
        }
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => value.extend(chars.next().map(|(_, c)| c)),
                '\'' if quoted => break,
                c if c.is_whitespace() && !quoted => break,
                c => value.push(c),
            }
        }
        let end = chars.peek().map_or(text.len(), |&(i, _)| i);
        out.push((key, value, text[start..end].trim().to_owned()));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_form() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x?sslmode=require"),
            "postgres://app:***@db:5432/x?sslmode=require"
        );
        assert_eq!(
            redact("postgresql+asyncpg://u:p@h/911_training"),
            "postgresql+asyncpg://u:***@h/911_training"
        );
        assert_eq!(
            redact("postgres://h/x?user=u&password=pw"),
            "postgres://h/x?user=u&password=***"
        );
        assert_eq!(
            redact("host=h password='a b' dbname=x"),
            "host=h dbname=x password=***"
        );
        assert_eq!(redact("postgres://u@h/x"), "postgres://u@h/x");
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
