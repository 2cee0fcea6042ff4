//! Benchmarks of app-db against its peers, in a workspace of their own so that criterion and
//! sqlx stay out of the project's normal build and CI.
//!
//! The `test_db` bench measures W3, the time a test waits for a fresh database at head: our
//! template clone (`app_db::testing`) against sqlx's replay of every migration (what
//! `#[sqlx::test]` does), on the 911 schema and on a synthetic 200-revision history. The
//! `report` binary prints the medians and ratios as a markdown table.
//!
//! The `peers` bench measures the rest of the benchmarks issue against refinery, sqlx and
//! diesel_migrations in one run (W1 apply, W2 no-op check, W4 round trips, W5 compile, memory,
//! replicas); [`peers`] holds its results and renders their table, which `report` prints too.
//!
//! The `schema` bench measures W7, the schema engine: `Catalog::read` and `diff` on the
//! 500-table schema of [`wide`], and the runtime's drift check; [`figures`] turns its samples
//! into min, median and max against the goals.
//!
//! The `backfill` bench measures W8, the batched Rust revision 004 run by the release-built
//! `simulator`: lines per second, peak memory at two table sizes, and kills with SIGKILL mid-run
//! followed by a resume; [`backfill`] holds its figures' and kills' tables.
//!
//! ```
//! let revisions = appdb_benches::synthetic::generate(3);
//! let dir = tempfile::tempdir().unwrap();
//! appdb_benches::layout::write_directories(dir.path(), &revisions).unwrap();
//! let loaded = migrations_core::load_dir(dir.path(), "synthetic", Default::default()).unwrap();
//! assert_eq!(loaded.len(), 3);
//! ```

pub mod backfill;
pub mod figures;
pub mod layout;
pub mod peers;
pub mod results;
pub mod synthetic;
pub mod url;
pub mod wide;
