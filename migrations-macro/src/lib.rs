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
//! - `crate = some::path`: where `migrations_core` is reachable, if not as `::migrations_core`.
//!
//! The calling crate needs a build script with the two lines printed by
//! `migrations_core::build::watch` (see that module): the macro refuses to expand without them,
//! because cargo would not otherwise rebuild when a migration file is added.
//!
//! Every problem in the directory is reported at once, each naming the file and the fix, and an
//! empty table is still emitted so the errors do not cascade.

mod codegen;
mod expand;
mod input;

use proc_macro::TokenStream;

/// Embeds the migrations directory at `path` (relative to the crate's `Cargo.toml`).
///
/// See the crate docs for the arguments and the build-script requirement.
#[proc_macro]
pub fn embed_migrations(tokens: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(tokens as input::Input);
    expand::expand(&input).into()
}
