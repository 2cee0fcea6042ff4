//! `embed_migrations!`: reads a migrations directory at compile time, validates it, and expands
//! to a checksummed [`Migrations`](https://docs.rs/migrations-core) table the binary carries.
//!
//! ```ignore
//! use migrations_core::Migrations;
//! static MIGRATIONS: Migrations = migrations_macro::embed_migrations!("migrations");
//! ```
//!
//! The path is relative to the calling crate's `Cargo.toml`. Arguments after the path:
//! - `allow_up_only = true`: accept revisions without a down script as irreversible (for
//!   directories imported from sqlx or diesel; keep your own directory strict).
//! - `allow_syntax_errors = true`: report scripts PostgreSQL's grammar rejects as warnings, not
//!   errors (an imported history whose files cannot be edited; the server rejects them when run).
//! - `crate = some::path`: where `migrations_core` is reachable, if not as `::migrations_core`.
//! - `runtime = some::path`: where `migrations_runtime` is reachable, if not as
//!   `::migrations_runtime` (only Rust revisions name it).
//!
//! A revision may be Rust: `up.rs` (and `down.rs`, or `// migrate: irreversible` on its first
//! line) defining `pub async fn up(tx: &mut Transaction<'_>) -> Result<(), E>`, or
//! `up(tx, cursor: Option<C>) -> Result<Option<C>, E>` for a backfill committed batch by batch.
//! The file is compiled as part of the calling crate (so it may call the crate's own functions)
//! and listed with the SQL revisions in one order, checksummed over its source with comments
//! and formatting left out (`migrations_core::rust`).
//!
//! With the default `parse` feature every script is parsed with PostgreSQL's grammar (a syntax
//! error is a compile error with the line quoted and a caret) and the safety lint runs: denied
//! findings are errors, warned ones compiler warnings at the macro call (see `lint.toml` in
//! `migrations_core::lint`).
//!
//! Parse and lint results are kept in the calling crate's `OUT_DIR` between builds, each reused
//! only for the exact text it came from, so a rebuild after editing one migration parses only
//! that one (see `migrations_core::Cache`).
//!
//! The calling crate needs a build script with the two lines printed by
//! `migrations_core::build::watch` (see that module): the macro refuses to expand without them,
//! because cargo would not otherwise rebuild when a migration file is added.
//!
//! Every problem in the directory is reported at once, each naming the file and the fix, and an
//! empty table is still emitted so the errors do not cascade.

mod code;
mod codegen;
mod expand;
mod input;
#[cfg(feature = "parse")]
mod lint;
mod test_attr;

use proc_macro::TokenStream;

/// Embeds the migrations directory at `path` (relative to the crate's `Cargo.toml`).
///
/// See the crate docs for the arguments and the build-script requirement.
#[proc_macro]
pub fn embed_migrations(tokens: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(tokens as input::Input);
    expand::expand(&input).into()
}

/// A test that receives its own PostgreSQL database, re-exported as `migrations_runtime::test`
/// (the runtime's `testing` feature).
///
/// ```ignore
/// use migrations_runtime::testing::TestDatabase;
///
/// #[migrations_runtime::test]                        // at head of `crate::MIGRATIONS`
/// async fn a(db: TestDatabase) {}
///
/// #[migrations_runtime::test(migrations = my::MIGRATIONS, at = "002")]  // another table, a revision
/// async fn b(db: TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
///     Ok(())
/// }
///
/// #[migrations_runtime::test(empty)]                 // no migrations at all
/// async fn c(db: TestDatabase) {}
/// ```
///
/// The body runs on a current-thread tokio runtime. The database is dropped when the test
/// passes and kept, with its name printed, when it panics or returns an error. The expansion
/// names `::migrations_runtime`; `crate = path` names another path to it, for a crate that
/// renamed it or reaches it through a re-export (`crate = app_db`). Other attributes (`#[ignore]`, `#[should_panic]`)
/// go on the generated `#[test]`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as test_attr::Args);
    let function = syn::parse_macro_input!(item as syn::ItemFn);
    test_attr::expand(args, function).into()
}
