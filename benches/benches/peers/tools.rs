//! The contenders behind one interface: a revision set written in every tool's layout and loaded
//! by every tool, a connection of each tool's own client, and one call that brings a database to
//! head.

use std::path::{Path, PathBuf};

use appdb_benches::layout::{self, ScriptPair};
use diesel::Connection as _;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use migrations_core::Migrations;
use sqlx::Connection as _;
use tokio::runtime::Runtime;

use crate::Fallible;

/// Our runtime or a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Ours,
    Refinery,
    Sqlx,
    Diesel,
}

impl Tool {
    /// In the table's column order.
    pub const ALL: [Tool; 4] = [Tool::Ours, Tool::Refinery, Tool::Sqlx, Tool::Diesel];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::Refinery => "refinery",
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
        }
    }

    pub fn parse(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|tool| tool.name() == name)
    }

    /// Each tool's history table, one row per applied revision.
    pub fn history_table(self) -> &'static str {
        match self {
            Tool::Ours => "schema_revisions",
            Tool::Refinery => "refinery_schema_history",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
        }
    }

    /// The tools in the order of round `round`: each starts a round in turn, so a slow spell of
    /// the machine does not always hit the same one.
    pub fn rotated(round: usize) -> [Tool; 4] {
        let mut tools = Tool::ALL;
        tools.rotate_left(round % Tool::ALL.len());
        tools
    }
}

/// Where one revision set lives in each layout. Ours and diesel's are the same layout
/// (`<version>_<slug>/up.sql`, `down.sql`), so they share a directory.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub directories: PathBuf,
    pub flat: PathBuf,
    pub refinery: PathBuf,
}

impl Dirs {
    /// Writes `revisions` in every layout under `root/name`.
    pub fn write(root: &Path, name: &str, revisions: &[ScriptPair]) -> Fallible<Dirs> {
        let base = root.join(name);
        let dirs = Dirs {
            directories: base.join("directories"),
            flat: base.join("flat"),
            refinery: base.join("refinery"),
        };
        for dir in [&dirs.directories, &dirs.flat, &dirs.refinery] {
            std::fs::create_dir_all(dir)?;
        }
        layout::write_directories(&dirs.directories, revisions)?;
        layout::write_flat(&dirs.flat, revisions)?;
        layout::write_refinery(&dirs.refinery, revisions)?;
        Ok(dirs)
    }

    pub fn of(&self, tool: Tool) -> &Path {
        match tool {
            Tool::Ours | Tool::Diesel => &self.directories,
            Tool::Sqlx => &self.flat,
            Tool::Refinery => &self.refinery,
        }
    }
}

/// One tool's revisions, read from disk with that tool's own loader.
pub enum Loaded {
    // Boxed: a table is several hundred bytes since it carries a squashed history's baseline,
    // and every variant of the enum would pay for it.
    Ours(Box<Migrations>),
    Refinery(Vec<refinery::Migration>),
    Sqlx(sqlx::migrate::Migrator),
    Diesel(FileBasedMigrations),
}

impl Loaded {
    pub fn load(rt: &Runtime, tool: Tool, dir: &Path) -> Fallible<Loaded> {
        Ok(match tool {
            Tool::Ours => Loaded::Ours(Box::new(migrations_core::load_dir(
                dir,
                "bench",
                Default::default(),
            )?)),
            Tool::Refinery => Loaded::Refinery(refinery::load_sql_migrations(dir)?),
            Tool::Sqlx => Loaded::Sqlx(rt.block_on(sqlx::migrate::Migrator::new(dir))?),
            Tool::Diesel => Loaded::Diesel(FileBasedMigrations::from_path(dir)?),
        })
    }
}

/// A revision set loaded by every tool.
pub struct Set {
    pub len: usize,
    pub dirs: Dirs,
    loaded: Vec<Loaded>,
}

impl Set {
    pub fn new(rt: &Runtime, root: &Path, name: &str, revisions: &[ScriptPair]) -> Fallible<Set> {
        let dirs = Dirs::write(root, name, revisions)?;
        let loaded = Tool::ALL
            .iter()
            .map(|&tool| Loaded::load(rt, tool, dirs.of(tool)))
            .collect::<Fallible<Vec<_>>>()?;
        Ok(Set {
            len: revisions.len(),
            dirs,
            loaded,
        })
    }

    pub fn get(&self, tool: Tool) -> &Loaded {
        let index = Tool::ALL.iter().position(|&t| t == tool);
        &self.loaded[index.expect("Tool::ALL lists every tool")]
    }
}

/// A connection of the client each tool is used with: tokio-postgres for ours and refinery,
/// sqlx's own, and diesel's libpq.
pub enum Conn {
    Tokio(tokio_postgres::Client),
    Sqlx(sqlx::PgConnection),
    Diesel(diesel::PgConnection),
}

/// Opens `tool`'s kind of connection to `url`.
pub fn connect(rt: &Runtime, tool: Tool, url: &str) -> Fallible<Conn> {
    Ok(match tool {
        Tool::Ours | Tool::Refinery => Conn::Tokio(rt.block_on(tokio_client(url))?),
        Tool::Sqlx => Conn::Sqlx(rt.block_on(sqlx::PgConnection::connect(url))?),
        Tool::Diesel => Conn::Diesel(diesel::PgConnection::establish(url)?),
    })
}

/// A tokio-postgres client whose connection is driven by a task of the current runtime.
pub async fn tokio_client(url: &str) -> Fallible<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Brings the database of `conn` to the head of `loaded`, as each tool's documentation shows.
pub fn migrate(rt: &Runtime, conn: &mut Conn, loaded: &Loaded) -> Fallible<()> {
    match (conn, loaded) {
        (Conn::Tokio(client), Loaded::Ours(migrations)) => {
            rt.block_on(app_db::Migrator::client_only(migrations).upgrade(client, "head"))?;
        }
        (Conn::Tokio(client), Loaded::Refinery(migrations)) => {
            rt.block_on(refinery::Runner::new(migrations).run_async(client))?;
        }
        (Conn::Sqlx(conn), Loaded::Sqlx(migrator)) => rt.block_on(migrator.run(conn))?,
        (Conn::Diesel(conn), Loaded::Diesel(migrations)) => {
            conn.run_pending_migrations(migrations.clone())
                .map_err(|e| -> Box<dyn std::error::Error> { e })?;
        }
        _ => return Err("a connection of another tool".into()),
    }
    Ok(())
}

/// Closes the connection, waiting for the server to hear it where the client allows.
pub fn close(rt: &Runtime, conn: Conn) -> Fallible<()> {
    match conn {
        Conn::Tokio(client) => drop(client),
        Conn::Sqlx(conn) => rt.block_on(conn.close())?,
        Conn::Diesel(conn) => drop(conn),
    }
    Ok(())
}
