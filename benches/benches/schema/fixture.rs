//! The databases the schema bench measures, built before measuring starts, and the checks that
//! they are what the figures say: the simulator's schema, the 500-table one, its changed copy.

use std::time::Instant;

use app_db::testing::LocalCluster;
use appdb_benches::{layout, wide};
use migrations_runtime::{ConnectOptions, Migrations, Migrator, Target};
use migrations_schema::{diff, Catalog, ConstraintKind};
use tokio::sync::Mutex;
use tokio_postgres::Client;

use super::server::{conditions, connect, options};
use super::Fallible;

/// Revisions of 10 tables each: 500 tables.
const WIDE_REVISIONS: usize = 50;

/// Whether the server may JIT-compile queries: its default (`jit = on`, which compiles any
/// query the planner estimates above `jit_above_cost`), or off for every connection made with
/// the options, the scratch databases' too (`-c jit=off` in the startup packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Jit {
    Default,
    Off,
}

/// Options for one database and a connection made with them.
pub(super) struct Session {
    pub(super) options: ConnectOptions,
    pub(super) client: Mutex<Client>,
}

impl Session {
    async fn open(cluster: &LocalCluster, db: &str, jit: Jit) -> Fallible<Session> {
        let options = match jit {
            Jit::Default => options(cluster, db),
            Jit::Off => options(cluster, db).with_session_settings(&[("jit", "off".to_owned())]),
        };
        let client = Mutex::new(options.connect().await?);
        Ok(Session { options, client })
    }
}

/// A database migrated with a revision set, with a connection of each kind to it.
pub(super) struct Live<'m> {
    pub(super) label: &'static str,
    pub(super) migrations: &'m Migrations,
    pub(super) default: Session,
    jit_off: Session,
}

impl Live<'_> {
    pub(super) fn session(&self, jit: Jit) -> &Session {
        match jit {
            Jit::Default => &self.default,
            Jit::Off => &self.jit_off,
        }
    }

    pub(super) fn migrator(&self, jit: Jit) -> Migrator<'_> {
        Migrator::new(self.migrations, self.session(jit).options.clone())
    }
}

/// Everything measured, built before measuring starts.
pub(super) struct Fixture<'m> {
    pub(super) cluster: &'m LocalCluster,
    pub(super) admin: Client,
    pub(super) sim: Live<'static>,
    pub(super) wide: Live<'m>,
    /// `wide` read from its database.
    pub(super) catalog: Catalog,
    /// The same schema read from a second database.
    pub(super) equal: Catalog,
    /// That second database's after the 50 changes.
    pub(super) changed: Catalog,
}

/// The 500-table schema as 50 revision directories under `dir`, loaded as a user's would be.
pub(super) fn write_wide(dir: &std::path::Path) -> Fallible<Migrations> {
    layout::write_directories(dir, &wide::generate(WIDE_REVISIONS))?;
    Ok(migrations_core::load_dir(dir, "wide", Default::default())?)
}

impl<'m> Fixture<'m> {
    pub(super) async fn prepare(
        cluster: &'m LocalCluster,
        wide_set: &'m Migrations,
    ) -> Fallible<Self> {
        let admin = connect(cluster, "postgres").await?;
        println!("{}", conditions(&admin).await?);
        let sim = migrated(cluster, &admin, "w7_sim", "911", &app_db::MIGRATIONS).await?;
        let wide = migrated(cluster, &admin, "w7_wide", "500 tables", wide_set).await?;
        let other = migrated(cluster, &admin, "w7_wide_changed", "500 tables", wide_set).await?;
        let read = wide.migrator(Jit::Default).read_options();
        let catalog = Catalog::read(&mut *wide.default.client.lock().await, &read).await?;
        let mut other_client = other.default.client.into_inner();
        let equal = Catalog::read(&mut other_client, &read).await?;
        other_client.batch_execute(&wide::changes()).await?;
        let changed = Catalog::read(&mut other_client, &read).await?;
        println!("500-table schema as read: {}", counts(&catalog));
        let off = wide.jit_off.client.lock().await;
        let jit: String = off.query_one("SHOW jit", &[]).await?.get(0);
        drop(off);
        println!("jit on the jit-off connections: {jit}");
        let fixture = Fixture {
            cluster,
            admin,
            sim,
            wide,
            catalog,
            equal,
            changed,
        };
        fixture.check().await?;
        Ok(fixture)
    }

    /// Prints what the diffs and drifts find, once: a drift that is not clean would settle both
    /// catalogs in two more scratch databases, and be measured doing so.
    async fn check(&self) -> Fallible<()> {
        let equal = diff(&self.catalog, &self.equal);
        println!(
            "diff of two reads of the same schema: {} differences",
            equal.differences().count()
        );
        for d in equal.differences() {
            println!("  unexpected: {d}");
        }
        let changed = diff(&self.catalog, &self.changed);
        println!(
            "diff after the 50 changes: {} differences, {} statements, script of {} bytes",
            changed.differences().count(),
            changed.statements().count(),
            changed.script().len()
        );
        // The script must do what it says: run on the original inside a transaction rolled
        // back, it leaves the changed schema.
        let mut client = self.wide.default.client.lock().await;
        let tx = client.transaction().await?;
        tx.batch_execute(&changed.script()).await?;
        let read = self.wide.migrator(Jit::Default).read_options();
        let after = Catalog::read_in(&tx, &read).await?;
        tx.rollback().await?;
        drop(client);
        let left = diff(&after, &self.changed);
        println!(
            "the script run on the original: {} differences left",
            left.differences().count()
        );
        for d in left.differences() {
            println!("  unexpected: {d}");
        }
        for (live, jit) in [&self.sim, &self.wide]
            .into_iter()
            .flat_map(|l| JITS.map(|j| (l, j)))
        {
            let mut client = live.session(jit).client.lock().await;
            let drift = live.migrator(jit).drift(&mut client).await?;
            println!(
                "drift on {} (jit {jit:?}): {} differences, {} respelled, {}",
                live.label,
                drift.diff.differences().count(),
                drift.respelled.len(),
                drift.method
            );
            for d in drift.diff.differences() {
                println!("  unexpected: {d}");
            }
        }
        Ok(())
    }
}

/// A new database `name` migrated to head with `migrations`, and a connection to it.
async fn migrated<'m>(
    cluster: &LocalCluster,
    admin: &Client,
    name: &str,
    label: &'static str,
    migrations: &'m Migrations,
) -> Fallible<Live<'m>> {
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let default = Session::open(cluster, name, Jit::Default).await?;
    let start = Instant::now();
    let mut client = default.client.lock().await;
    Migrator::new(migrations, default.options.clone())
        .upgrade(&mut client, Target::Head)
        .await?;
    println!(
        "{label}: {} revisions applied to {name} in {:.0?}",
        migrations.len(),
        start.elapsed()
    );
    // What autovacuum soon does on a live database, here before measuring rather than at some
    // point during it. A scratch database is read before anything analyzes it.
    client.batch_execute("ANALYZE").await?;
    drop(client);
    Ok(Live {
        label,
        migrations,
        default,
        jit_off: Session::open(cluster, name, Jit::Off).await?,
    })
}

fn counts(catalog: &Catalog) -> String {
    let columns: usize = catalog.tables.values().map(|t| t.columns.len()).sum();
    let kind = |k| catalog.constraints.values().filter(|c| c.kind == k).count();
    format!(
        "{} tables, {columns} columns, {} primary keys, {} foreign keys, {} checks, {} unique \
         constraints, {} indexes besides the constraints', {} views, {} routines, {} triggers",
        catalog.tables.len(),
        kind(ConstraintKind::PrimaryKey),
        kind(ConstraintKind::ForeignKey),
        kind(ConstraintKind::Check),
        kind(ConstraintKind::Unique),
        catalog.indexes.len(),
        catalog.views.len(),
        catalog.routines.len(),
        catalog.triggers.len()
    )
}

/// Both settings, in the order measured.
pub(super) const JITS: [Jit; 2] = [Jit::Default, Jit::Off];
