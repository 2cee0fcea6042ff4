//! A `postgres://` URL for a server reached through a Unix socket directory, in the one form that
//! tokio-postgres and sqlx both read as that socket and nothing else.

use std::path::Path;

/// `postgres://<user>@<socket dir, percent-encoded>:<port>/<dbname>`.
///
/// The socket directory goes in the host position rather than in `?host=`: with
/// `postgres://user@localhost:5432/db?host=/sock`, tokio-postgres keeps both hosts and tries TCP
/// `localhost` first, so every connection would first fail (or reach another server) before
/// using the socket, while sqlx would use the socket alone.
///
/// ```
/// let url = appdb_benches::url::socket_url(std::path::Path::new("/tmp/pg sock"), 5432, "postgres", "db");
/// assert_eq!(url, "postgres://postgres@%2Ftmp%2Fpg%20sock:5432/db");
/// ```
pub fn socket_url(socket_dir: &Path, port: u16, user: &str, dbname: &str) -> String {
    let host = encode(&socket_dir.to_string_lossy());
    format!(
        "postgres://{}@{host}:{port}/{}",
        encode(user),
        encode(dbname)
    )
}

/// Percent-encodes every byte but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::str::FromStr;
    use tokio_postgres::config::Host;

    const SOCKET: &str = "/tmp/appdb-pg-1-ab/sock";

    #[test]
    fn both_clients_read_the_socket_url_as_the_socket_alone(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let url = socket_url(Path::new(SOCKET), 5432, "postgres", "postgres");
        let config = tokio_postgres::Config::from_str(&url)?;
        assert_eq!(config.get_hosts(), [Host::Unix(PathBuf::from(SOCKET))]);
        assert_eq!(config.get_ports(), [5432]);
        assert_eq!(config.get_dbname(), Some("postgres"));
        let options = sqlx::postgres::PgConnectOptions::from_str(&url)?;
        assert_eq!(options.get_socket(), Some(&PathBuf::from(SOCKET)));
        assert_eq!(options.get_database(), Some("postgres"));
        Ok(())
    }

    // Why the socket is not passed as `?host=`: tokio-postgres would also try TCP localhost.
    #[test]
    fn tokio_postgres_keeps_the_authority_host_beside_a_host_parameter(
    ) -> Result<(), tokio_postgres::Error> {
        let url = format!(
            "postgres://postgres@localhost:5432/postgres?host={}",
            encode(SOCKET)
        );
        let config = tokio_postgres::Config::from_str(&url)?;
        let expected = [
            Host::Tcp("localhost".into()),
            Host::Unix(PathBuf::from(SOCKET)),
        ];
        assert_eq!(config.get_hosts(), expected);
        Ok(())
    }
}
