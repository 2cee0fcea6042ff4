//! Connections to the test server, and the strings that name its databases safely.

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use super::TestingError;

pub(super) async fn connect(config: &Config) -> Result<Client, TestingError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|source| {
        let database = config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or_default();
        TestingError::Connect {
            database: database.to_owned(),
            source,
        }
    })?;
    // A failed connection surfaces as an error on the client's next call.
    tokio::spawn(connection);
    Ok(client)
}

/// `url` with its database replaced by `dbname`.
pub(super) fn with_dbname(url: &str, dbname: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        let Some(rest) = url.strip_prefix(scheme) else {
            continue;
        };
        // Split where tokio-postgres does: credentials end at the first `@`, hosts at `/` or `?`.
        let hosts_start = rest.find('@').map_or(0, |at| at + 1);
        let path_start = rest[hosts_start..]
            .find(['/', '?'])
            .map_or(rest.len(), |i| hosts_start + i);
        let query = rest[path_start..]
            .find('?')
            .map_or("", |i| &rest[path_start + i..]);
        return format!("{scheme}{}/{dbname}{query}", &rest[..path_start]);
    }
    // The last `dbname` wins in key=value strings, for libpq and tokio-postgres alike.
    format!("{url} dbname={dbname}")
}

/// A key=value description of `config` without its password, safe to print.
pub(super) fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    let mut text = format!("host={} port={}", hosts.join(","), ports.join(","));
    for (key, value) in [("user", config.get_user()), ("dbname", config.get_dbname())] {
        if let Some(value) = value {
            text.push_str(&format!(" {key}={value}"));
        }
    }
    text
}

pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_dbname_replaces_the_uri_path_and_keeps_the_query() {
        let cases = [
            (
                "postgres://u:p@h:5433/app?sslmode=disable",
                "postgres://u:p@h:5433/test_1?sslmode=disable",
            ),
            ("postgresql://h", "postgresql://h/test_1"),
            (
                "postgres://u@h1:1,h2:2?application_name=x",
                "postgres://u@h1:1,h2:2/test_1?application_name=x",
            ),
            (
                "postgres://u:p%2Fq@%2Ftmp%2Fsock/app",
                "postgres://u:p%2Fq@%2Ftmp%2Fsock/test_1",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_dbname(url, "test_1"), expected);
        }
    }

    #[test]
    fn appended_dbname_overrides_key_value_dbname() {
        let url = with_dbname("host=/tmp port=5432 dbname=postgres user=me", "test_1");
        let config: Config = url.parse().expect("the derived string parses");
        assert_eq!(config.get_dbname(), Some("test_1"));
        assert_eq!(config.get_user(), Some("me"));
    }

    #[test]
    fn describe_leaves_out_the_password() {
        let config: Config = "postgres://u:secret@h:5433/app".parse().expect("valid URL");
        assert_eq!(describe(&config), "host=h port=5433 user=u dbname=app");
    }
}
