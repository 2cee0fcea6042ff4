//! The server and databases the backfill bench runs on: templates at revision 003 seeded with
//! transcript lines, a clone of one per run, and what the server's settings were.

use std::collections::BTreeMap;
use std::time::Instant;

use app_db::testing::LocalCluster;
use app_db::MIGRATIONS;
use migrations_runtime::{ConnectOptions, Migrator};
use tokio_postgres::config::SslMode;
use tokio_postgres::Client;

use super::Fallible;

/// Speaker and text of the lines the templates cycle through: a caller's lines with weapons,
/// injuries, places, people, vehicles, medical conditions and hazards, and lines without any
/// entity (most of an operator's, some of a caller's), as in the seed scenarios' dialogues.
pub(super) const LINES: [(&str, &str); 10] = [
    (
        "caller",
        "He has a knife, we're at 1432 Maple Street, apartment 3B.",
    ),
    ("operator", "911, what is the address of your emergency?"),
    ("caller", "My husband Daniel is bleeding from his arm."),
    ("operator", "Okay, stay on the line with me."),
    (
        "caller",
        "There's smoke coming from the kitchen and I smell gas.",
    ),
    ("operator", "Is anyone hurt? Is he still in the house?"),
    (
        "caller",
        "A white van backed into my driveway with its lights off.",
    ),
    (
        "caller",
        "My father is having chest pain and he can't breathe.",
    ),
    (
        "operator",
        "Officers are on the way. Lock the door and stay where you are.",
    ),
    ("caller", "I'm okay, I'm just really scared."),
];

/// Lines per call session: the length of a short training call.
const LINES_PER_SESSION: i64 = 20;

/// The throwaway cluster and an admin connection to it.
pub(super) struct Server<'c> {
    cluster: &'c LocalCluster,
    admin: Client,
}

/// A database at revision 003 holding `lines` transcript lines, none with entities, never
/// opened again once seeded so that it can be cloned.
pub(super) struct Template {
    pub(super) name: String,
    pub(super) lines: i64,
}

impl<'c> Server<'c> {
    pub(super) async fn open(cluster: &'c LocalCluster) -> Fallible<Server<'c>> {
        let admin = connect(cluster, "postgres").await?;
        Ok(Server { cluster, admin })
    }

    /// The key=value connection string of database `db`, as the child gets it.
    pub(super) fn url(&self, db: &str) -> String {
        self.cluster.url(db)
    }

    pub(super) async fn connect(&self, db: &str) -> Fallible<Client> {
        connect(self.cluster, db).await
    }

    /// What decides the figures: the server, durability, where the data lives, how it is
    /// reached.
    pub(super) async fn conditions(&self) -> Fallible<String> {
        let settings = [
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "shared_buffers",
            "work_mem",
            "autovacuum",
            "jit",
            "data_directory",
            "unix_socket_directories",
            "listen_addresses",
        ];
        let mut text = self
            .admin
            .query_one("SELECT version()", &[])
            .await?
            .get::<_, String>(0);
        text.truncate(text.find(" on ").unwrap_or(text.len()));
        for setting in settings {
            let row = self
                .admin
                .query_one("SELECT current_setting($1)", &[&setting])
                .await?;
            text.push_str(&format!("; {setting} = '{}'", row.get::<_, String>(0)));
        }
        Ok(text)
    }

    /// Creates `w8_lines_<lines>`: migrated to 003 by the runtime, then seeded with one session
    /// per 20 lines and `lines` lines cycling through [`LINES`], in two statements.
    pub(super) async fn template(&self, lines: i64) -> Fallible<Template> {
        let name = format!("w8_lines_{lines}");
        let started = Instant::now();
        self.admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let mut config = self.cluster.config(&name);
        config.ssl_mode(SslMode::Disable);
        let options = ConnectOptions::from_config(config);
        let mut client = options.connect().await?;
        Migrator::new(&MIGRATIONS, options)
            .upgrade(&mut client, "003")
            .await?;
        let sessions = (lines + LINES_PER_SESSION - 1) / LINES_PER_SESSION;
        client
            .execute(
                "INSERT INTO call_sessions (operator_id, scenario_id, started_at, ended_at, duration_ms, status)
                 SELECT 'trainee-' || g % 37, s.ids[1 + g % cardinality(s.ids)], at, at + interval '80 seconds', 80000, 'completed'
                 FROM (SELECT array_agg(id ORDER BY name) AS ids FROM training_scenarios) AS s,
                      generate_series(0, $1::bigint - 1) AS g,
                      LATERAL (SELECT timestamptz '2026-01-01 08:00Z' + g * interval '7 minutes') AS t(at)",
                &[&sessions],
            )
            .await?;
        let (speakers, texts): (Vec<&str>, Vec<&str>) = LINES.iter().copied().unzip();
        client
            .execute(
                "INSERT INTO call_transcripts (session_id, timestamp_ms, speaker, text)
                 SELECT s.ids[1 + g / $2::bigint], (g % $2::bigint) * 4000, ($3::text[])[1 + g % $5::bigint]::speaker_enum, ($4::text[])[1 + g % $5::bigint]
                 FROM (SELECT array_agg(id ORDER BY started_at) AS ids FROM call_sessions) AS s,
                      generate_series(0, $1::bigint - 1) AS g",
                &[&lines, &LINES_PER_SESSION, &speakers, &texts, &(LINES.len() as i64)],
            )
            .await?;
        // What autovacuum does to a table of old lines long before a backfill runs: statistics
        // for the planner, hint bits and the visibility map set, so no run pays for them.
        client.batch_execute("VACUUM (ANALYZE)").await?;
        println!(
            "template {name}: 003, {sessions} sessions, {lines} lines, seeded in {:.1?}",
            started.elapsed()
        );
        Ok(Template { name, lines })
    }

    /// A copy of `template` named `name`: its files copied (`STRATEGY FILE_COPY`), so every run
    /// starts from the same pages.
    pub(super) async fn clone_of(&self, template: &Template, name: &str) -> Fallible<()> {
        let started = Instant::now();
        self.drop_database(name).await?;
        self.admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE {} STRATEGY FILE_COPY",
                template.name
            ))
            .await?;
        println!(
            "  cloned {} as {name} in {:.1?}",
            template.name,
            started.elapsed()
        );
        Ok(())
    }

    pub(super) async fn drop_database(&self, name: &str) -> Fallible<()> {
        self.admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        Ok(())
    }

    /// The sizes of the backfilled tables with their indexes and TOAST, for scale.
    pub(super) async fn sizes(&self, db: &str) -> Fallible<String> {
        let client = self.connect(db).await?;
        let row = client
            .query_one(
                "SELECT pg_size_pretty(pg_total_relation_size('call_transcripts')),
                        pg_size_pretty(pg_total_relation_size('extracted_entities')),
                        (SELECT count(*) FROM extracted_entities)",
                &[],
            )
            .await?;
        Ok(format!(
            "call_transcripts {}, extracted_entities {} ({} rows)",
            row.get::<_, String>(0),
            row.get::<_, String>(1),
            row.get::<_, i64>(2)
        ))
    }
}

/// The entities each distinct text should have: `extract(text).len()`.
pub(super) fn expected_counts() -> BTreeMap<&'static str, i64> {
    LINES
        .iter()
        .map(|(_, text)| (*text, app_db::sim::extract::extract(text).len() as i64))
        .collect()
}

/// The revision's batch size, read from its source so the bench follows it: the line
/// `const BATCH: i64 = <n>;` of `004_backfill_entities/up.rs`.
pub(super) fn batch_size() -> Fallible<i64> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../app-db/migrations/004_backfill_entities/up.rs"
    );
    let source = std::fs::read_to_string(path)?;
    let value = source
        .lines()
        .find_map(|line| line.trim().strip_prefix("const BATCH: i64 = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .ok_or_else(|| format!("{path} has no `const BATCH: i64 = <n>;` line"))?;
    Ok(value.replace('_', "").parse()?)
}

async fn connect(cluster: &LocalCluster, db: &str) -> Fallible<Client> {
    let mut config = cluster.config(db);
    config.ssl_mode(SslMode::Disable);
    Ok(ConnectOptions::from_config(config).connect().await?)
}
