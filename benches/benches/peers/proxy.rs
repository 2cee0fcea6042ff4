//! W4's counter: a proxy between the clients and the server's Unix socket that reads the
//! client's side of the PostgreSQL protocol and counts
//! - round trips: a new one starts whenever the client sends after the server has said
//!   something, i.e. each time the client had to wait for an answer. A burst holding only
//!   `Close` and `Sync` does not count: tokio-postgres sends it without waiting, when a
//!   prepared statement is dropped, and it only looks like a turn because the server answered
//!   it before the client's next request;
//! - exchanges: `Sync` and simple `Query` messages, each of which the server answers with
//!   `ReadyForQuery`.
//!
//! When asked, it also logs every message, round trip by round trip, with the SQL of `Query` and
//! `Parse` messages: what a runtime sends, read off the wire.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::runtime::Runtime;

use crate::Fallible;

/// The counts so far; subtract two to count what happened between them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub round_trips: u64,
    pub exchanges: u64,
}

impl std::ops::Sub for Counts {
    type Output = Counts;
    fn sub(self, earlier: Counts) -> Counts {
        Counts {
            round_trips: self.round_trips - earlier.round_trips,
            exchanges: self.exchanges - earlier.exchanges,
        }
    }
}

#[derive(Default)]
struct State {
    round_trips: AtomicU64,
    exchanges: AtomicU64,
    /// Messages per round trip, while logging.
    log: Mutex<Option<Vec<Vec<String>>>>,
}

impl State {
    fn log(&self, f: impl FnOnce(&mut Vec<Vec<String>>)) {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(log) = log.as_mut() {
            f(log);
        }
    }
}

/// A running proxy; its socket directory takes the server's in a connection URL.
pub struct Proxy {
    dir: tempfile::TempDir,
    state: Arc<State>,
}

impl Proxy {
    /// Listens on `<temp dir>/.s.PGSQL.<port>` and forwards every connection to `upstream`
    /// (the server's socket file), on tasks of `rt`.
    pub fn start(rt: &Runtime, upstream: PathBuf, port: u16) -> Fallible<Proxy> {
        let dir = tempfile::tempdir()?;
        let listener = {
            let _entered = rt.enter();
            UnixListener::bind(dir.path().join(format!(".s.PGSQL.{port}")))?
        };
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, state) = (upstream.clone(), Arc::clone(&shared));
                tokio::spawn(async move {
                    if let Ok(server) = UnixStream::connect(&upstream).await {
                        forward(client, server, state).await;
                    }
                });
            }
        });
        Ok(Proxy { dir, state })
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn counts(&self) -> Counts {
        Counts {
            round_trips: self.state.round_trips.load(Ordering::SeqCst),
            exchanges: self.state.exchanges.load(Ordering::SeqCst),
        }
    }

    /// Starts logging messages.
    pub fn start_log(&self) {
        *self.state.log.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
    }

    /// Stops logging and returns the messages, one list per round trip.
    pub fn take_log(&self) -> Vec<Vec<String>> {
        let mut log = self.state.log.lock().unwrap_or_else(|p| p.into_inner());
        log.take().unwrap_or_default()
    }
}

/// Copies both ways until either side closes, reading the client's messages on the way.
async fn forward(client: UnixStream, server: UnixStream, state: Arc<State>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // True once the server has sent something the client has not answered yet: the client's
    // next bytes start a new round trip (so does its very first message).
    let server_spoke = Arc::new(AtomicBool::new(true));
    let spoke = Arc::clone(&server_spoke);
    let upstream = async {
        let mut parser = Parser::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if server_spoke.swap(false, Ordering::SeqCst) {
                parser.new_turn = true;
                state.log(|log| log.push(Vec::new()));
            }
            parser.feed(&buf[..n], &state);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Before the client can see the answer, so its reply counts as a new round trip.
            spoke.store(true, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

/// Splits the client's byte stream into protocol messages.
#[derive(Default)]
struct Parser {
    pending: Vec<u8>,
    /// After the startup message, every message has a type byte.
    typed: bool,
    /// The client spoke after the server: its first message that is not `Close` or `Sync`
    /// makes this burst a round trip.
    new_turn: bool,
}

/// `SSLRequest` and `GSSENCRequest`: after them another untyped startup message follows.
const ENCRYPTION_REQUESTS: [u32; 2] = [80_877_103, 80_877_104];

impl Parser {
    fn feed(&mut self, bytes: &[u8], state: &State) {
        self.pending.extend_from_slice(bytes);
        loop {
            let header = usize::from(self.typed);
            let Some(len) = self.pending.get(header..header + 4) else {
                return;
            };
            let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let total = header + len;
            if self.pending.len() < total {
                return;
            }
            let message: Vec<u8> = self.pending.drain(..total).collect();
            let deallocation = self.typed && matches!(message[0], b'C' | b'S');
            if self.new_turn && !deallocation {
                self.new_turn = false;
                state.round_trips.fetch_add(1, Ordering::SeqCst);
            }
            if self.typed {
                self.typed_message(message[0], &message[5..], state);
            } else {
                let code = message
                    .get(4..8)
                    .map_or(0, |c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                self.typed = !ENCRYPTION_REQUESTS.contains(&code);
                let what = if self.typed {
                    "startup"
                } else {
                    "encryption request"
                };
                state.log(|log| push(log, what.to_owned()));
            }
        }
    }

    fn typed_message(&self, kind: u8, body: &[u8], state: &State) {
        let text = match kind {
            b'Q' => {
                state.exchanges.fetch_add(1, Ordering::SeqCst);
                format!("Query `{}`", sql(body))
            }
            b'S' => {
                state.exchanges.fetch_add(1, Ordering::SeqCst);
                "Sync".to_owned()
            }
            // Parse: statement name, then the query.
            b'P' => {
                let query = body
                    .iter()
                    .position(|&b| b == 0)
                    .map_or(&[][..], |i| &body[i + 1..]);
                format!("Parse `{}`", sql(query))
            }
            b'B' => "Bind".to_owned(),
            b'E' => "Execute".to_owned(),
            b'D' => "Describe".to_owned(),
            b'C' => "Close".to_owned(),
            b'H' => "Flush".to_owned(),
            b'X' => "Terminate".to_owned(),
            b'p' => "authentication".to_owned(),
            other => format!("message '{}'", char::from(other)),
        };
        state.log(|log| push(log, text));
    }
}

fn push(log: &mut Vec<Vec<String>>, text: String) {
    match log.last_mut() {
        Some(flight) => flight.push(text),
        None => log.push(vec![text]),
    }
}

/// The NUL-terminated SQL at the start of `bytes`, on one line, shortened.
fn sql(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let text = String::from_utf8_lossy(&bytes[..end]);
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}
