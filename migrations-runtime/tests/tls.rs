//! TLS and password authentication against a real server, through the library and through the
//! `migrate` binary: every `sslmode`, `sslrootcert`, and errors that name the problem without
//! ever showing the password.
//!
//! The shared `migrations_runtime::testing` server only speaks trust auth over a Unix socket, so this binary
//! starts a PostgreSQL of its own, once: loopback TCP, a certificate for `localhost` signed by a
//! throwaway CA, and scram-sha-256.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use migrations_runtime::error::ConnectError;
use migrations_runtime::ConnectOptions;
use tokio_postgres::Client;

const PASSWORD: &str = "Right-pw-4711";
// Holds URL delimiters on purpose: a regression test for redact() printing such passwords.
const WRONG_PASSWORD: &str = "WRONG/pw?123";

/// The server every test shares; its watchdog stops it once this process is gone.
struct Server {
    dir: PathBuf,
    port: u16,
}

impl Server {
    fn ca(&self) -> String {
        self.dir.join("ca.crt").display().to_string()
    }

    fn uri(&self, password: &str, host: &str, db: &str, params: &str) -> String {
        let port = self.port;
        format!("postgres://postgres:{password}@{host}:{port}/{db}?{params}")
    }

    /// The right password, database `postgres` on `localhost`.
    fn url(&self, params: &str) -> String {
        self.uri(PASSWORD, "localhost", "postgres", params)
    }

    fn key_value(&self, password: &str, params: &str) -> String {
        let port = self.port;
        format!(
            "host=localhost port={port} user=postgres password={password} dbname=postgres {params}"
        )
    }
}

fn server() -> &'static Server {
    // The outcome is kept, failure included, so that a broken setup fails every test at once
    // instead of each test trying (and leaving behind) a server of its own.
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(error) => panic!("cannot start the TLS test server: {error}"),
    }
}

fn start() -> Result<Server, String> {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    let nanos = since_epoch.map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("app-db-tls-{}-{nanos}", std::process::id()));
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // First, so that whatever fails below, the directory and any server go away with us.
    spawn_watchdog(&dir)?;
    make_certificates(&dir)?;
    let data = init_cluster(&dir)?;
    let d = dir.display();
    let settings = format!(
        "-c listen_addresses=127.0.0.1 -c unix_socket_directories={d} -c fsync=off \
         -c ssl=on -c ssl_cert_file={d}/server.crt -c ssl_key_file={d}/server.key"
    );
    // A free port can be taken by someone else before the server binds it: try a few.
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        let mut pg_ctl = as_postgres("pg_ctl");
        pg_ctl.arg("-D").arg(&data).arg("-l").arg(dir.join("log"));
        let options = format!("-p {port} {settings}");
        pg_ctl.args(["-w", "-t", "60", "-o", &options, "start"]);
        match run(&mut pg_ctl) {
            Ok(()) => return Ok(Server { dir, port }),
            Err(error) => last_error = error,
        }
    }
    let log = fs::read_to_string(dir.join("log")).unwrap_or_default();
    Err(format!("{last_error}\nserver log:\n{log}"))
}

/// Runs initdb in `dir` with a password for `postgres`; returns the data directory.
fn init_cluster(dir: &Path) -> Result<PathBuf, String> {
    let (data, pwfile) = (dir.join("data"), dir.join("pwfile"));
    write(&pwfile, PASSWORD)?;
    if running_as_root() {
        // The server refuses a key that is not its own, and initdb must write into `dir`.
        let mut chown = Command::new("chown");
        run(chown.args(["-R", "postgres:postgres"]).arg(dir))?;
    }
    let mut initdb = as_postgres("initdb");
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--no-sync"]);
    initdb.args(["--auth-local=trust", "--auth-host=scram-sha-256"]);
    run(initdb.arg(format!("--pwfile={}", pwfile.display())))?;
    // Rewriting a file initdb made keeps its owner, so the server can still read it.
    // `hostnossl` too, so that sslmode=disable has something to connect to.
    let hba = "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n\
               hostnossl all all 127.0.0.1/32 scram-sha-256\n";
    write(&data.join("pg_hba.conf"), hba)?;
    Ok(data)
}

/// A CA, and a server certificate for `localhost` that it signed; EC keys are quick to make.
fn make_certificates(dir: &Path) -> Result<(), String> {
    let extensions = "subjectAltName = DNS:localhost\nbasicConstraints = CA:FALSE\n\
                      keyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n";
    write(&dir.join("server.ext"), extensions)?;
    for args in [
        "req -x509 -days 2 -subj /CN=app-db-test-CA -keyout ca.key -out ca.crt \
         -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes",
        "req -subj /CN=localhost -keyout server.key -out server.csr \
         -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes",
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
         -extfile server.ext -out server.crt",
    ] {
        let mut openssl = Command::new("openssl");
        run(openssl.current_dir(dir).args(args.split_whitespace()))?;
    }
    // The server refuses a key that others can read.
    let key_file = dir.join("server.key");
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())
}

/// Starts a detached process that stops the server and deletes `dir` once this process has
/// exited, because a `static` is never dropped (as `migrations_runtime::cluster` does for its clusters).
fn spawn_watchdog(dir: &Path) -> Result<(), String> {
    // A zombie counts as gone: an orphan may wait a while for init to reap it.
    const SCRIPT: &str = r#"pid=$1 dir=$2; shift 2
while kill -0 "$pid" 2>/dev/null && ! grep -qs zombie "/proc/$pid/status"; do sleep 1; done
"$@" -D "$dir/data" stop -m immediate >/dev/null 2>&1
rm -rf "$dir""#;
    let stop = as_postgres("pg_ctl");
    let mut cmd = Command::new("setsid");
    cmd.current_dir("/");
    let pid = std::process::id().to_string();
    cmd.args(["-f", "sh", "-c", SCRIPT, "sh", &pid]).arg(dir);
    cmd.arg(stop.get_program()).args(stop.get_args());
    // Null stdio: a watchdog holding our pipes would keep `cargo test` waiting.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    run(&mut cmd)
}

fn running_as_root() -> bool {
    // `/proc/self` belongs to the effective user: no libc, no `id` process.
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// `program` as the `postgres` user when we are root, since the server refuses to run as root.
fn as_postgres(program: &str) -> Command {
    let root = running_as_root();
    let mut cmd = Command::new(if root { "runuser" } else { program });
    if root {
        cmd.args(["-u", "postgres", "--", program]);
    }
    // The postgres user may be unable to enter our working directory.
    cmd.current_dir("/");
    cmd
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output();
    let out = out.map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(format!("{cmd:?} failed ({}): {stderr}", out.status))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map(|a| a.port());
    port.map_err(|e| e.to_string())
}

async fn connect(url: &str) -> Result<Client, ConnectError> {
    ConnectOptions::parse(url)?.connect().await
}

/// The message with all its causes, as `migrate` prints it.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let causes = std::iter::successors(Some(error), |e| e.source());
    causes
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn assert_no_password(text: &str) {
    let leaked = text.contains(PASSWORD) || text.contains(WRONG_PASSWORD);
    assert!(!leaked, "a password leaked: {text}");
}

/// Asserts that `text` mentions each of `parts`.
#[track_caller]
fn assert_mentions(text: &str, parts: &[&str]) {
    let missing: Vec<&&str> = parts.iter().filter(|part| !text.contains(**part)).collect();
    assert!(missing.is_empty(), "{missing:?} not in: {text}");
}

/// Connects to `url` and reports whether the session is encrypted.
async fn encrypted(url: &str) -> bool {
    let client = connect(url).await;
    let client = client.unwrap_or_else(|e| panic!("{}: {}", url, chain(&e)));
    let sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let row = client.query_one(sql, &[]).await;
    row.expect("pg_stat_ssl lists every backend").get(0)
}

/// The error chain of a connection that must fail.
async fn refused(url: &str) -> String {
    let error = connect(url).await.err();
    let text = chain(&error.unwrap_or_else(|| panic!("{url} must be refused")));
    assert_no_password(&text);
    text
}

/// Runs `migrate --dir <empty dir> current` against `url`: (stdout, stderr, exit code).
fn migrate_current(url: &str) -> (String, String, Option<i32>) {
    let dir = tempfile::tempdir().expect("the temp directory is writable");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.arg("--dir").arg(dir.path());
    cmd.arg("current").env("DATABASE_URL", url);
    let out = cmd.output().expect("cargo built the migrate binary");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_no_password(&format!("{stdout}{stderr}"));
    (stdout, stderr, out.status.code())
}

#[tokio::test]
async fn require_and_prefer_encrypt_the_session() {
    assert!(encrypted(&server().url("sslmode=require")).await);
    assert!(encrypted(&server().url("sslmode=prefer")).await);
}

#[tokio::test]
async fn disable_connects_without_encryption() {
    assert!(!encrypted(&server().url("sslmode=disable")).await);
}

#[tokio::test]
async fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let s = server();
    let full = format!("sslmode=verify-full&sslrootcert={}", s.ca());
    assert!(encrypted(&s.url(&full)).await);
    // The certificate names only `localhost`, not the address.
    let error = refused(&s.uri(PASSWORD, "127.0.0.1", "postgres", &full)).await;
    assert_mentions(&error, &["certificate", "not valid for name"]);
    let ca = format!("sslmode=verify-ca&sslrootcert={}", s.ca());
    assert!(encrypted(&s.uri(PASSWORD, "127.0.0.1", "postgres", &ca)).await);
}

#[tokio::test]
async fn verify_full_without_sslrootcert_rejects_the_unknown_issuer() {
    // Without sslrootcert the web PKI roots are trusted, and our CA is not among them.
    let error = refused(&server().url("sslmode=verify-full")).await;
    assert_mentions(&error, &["UnknownIssuer"]);
}

#[tokio::test]
async fn wrong_password_fails_without_showing_it() {
    let s = server();
    let uri = s.uri(WRONG_PASSWORD, "localhost", "postgres", "sslmode=require");
    let expected = "password authentication failed for user \"postgres\"";
    for url in [uri, s.key_value(WRONG_PASSWORD, "sslmode=require")] {
        let options = ConnectOptions::parse(&url).expect("the connection string is well formed");
        assert_no_password(options.redacted());
        let error = refused(&url).await;
        assert_mentions(&error, &[expected]);
        let (stdout, stderr, code) = migrate_current(&url);
        assert_eq!(code, Some(1), "{stdout}{stderr}");
        assert_mentions(&stderr, &[expected]);
    }
}

#[tokio::test]
async fn migrate_binary_connects_over_tls_with_the_right_password() {
    let s = server();
    let full = s.url(&format!("sslmode=verify-full&sslrootcert={}", s.ca()));
    for url in [full, s.key_value(PASSWORD, "sslmode=require")] {
        let (stdout, stderr, code) = migrate_current(&url);
        assert_eq!(code, Some(0), "{stderr}");
        // An empty directory: the database is at base, which is also head.
        assert!(stdout.starts_with("base"), "{stdout}");
    }
}

#[tokio::test]
async fn unknown_database_is_named_in_the_error() {
    let url = server().uri(PASSWORD, "localhost", "no_such_db", "sslmode=require");
    let error = refused(&url).await;
    assert_mentions(&error, &["database \"no_such_db\" does not exist"]);
}

#[tokio::test]
async fn missing_sslrootcert_is_named_in_the_error() {
    let s = server();
    let missing = s.dir.join("no-such-ca.crt").display().to_string();
    let url = s.url(&format!("sslmode=verify-full&sslrootcert={missing}"));
    let error = connect(&url).await.err();
    let error = error.expect("a missing root certificate is refused");
    assert!(matches!(error, ConnectError::Tls { .. }), "{error:?}");
    assert_mentions(&chain(&error), &["sslrootcert", &missing]);
    let (stdout, stderr, code) = migrate_current(&url);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_mentions(&stderr, &["sslrootcert", &missing]);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
