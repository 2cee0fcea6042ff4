//! Throwaway crates that call the workspace's `embed_migrations!`, built by the real cargo. They
//! share `<target>/embed-probes`, so the macro and its dependencies compile once per target dir.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway crate that embeds `migrations/` through the workspace's macro.
pub(crate) struct Probe {
    dir: tempfile::TempDir,
}

impl Probe {
    /// Writes the crate's manifest, `build.rs` and `src/main.rs`; the macro checks SQL with
    /// PostgreSQL's grammar (its default features).
    pub(crate) fn new(package: &str, build_rs: &str, main_rs: &str) -> Self {
        Self::with_grammar(package, build_rs, main_rs, true)
    }

    /// As [`Probe::new`], with `grammar: false` depending on the crates with
    /// `default-features = false`, as a user without libclang would.
    pub(crate) fn with_grammar(
        package: &str,
        build_rs: &str,
        main_rs: &str,
        grammar: bool,
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(package)
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary crate directory can be created in the target directory");
        let probe = Probe { dir };
        let workspace = workspace_root();
        probe.write("Cargo.toml", &manifest(package, &workspace, grammar));
        probe.write("build.rs", build_rs);
        probe.write("src/main.rs", main_rs);
        // The workspace's lock file pins the same dependency versions the workspace already
        // built and downloaded, so the probe needs no registry access; cargo drops the rest.
        fs::copy(
            workspace.join("Cargo.lock"),
            probe.root().join("Cargo.lock"),
        )
        .expect("the workspace has a Cargo.lock to copy");
        probe
    }

    /// The crate's directory.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` at `relative`, creating directories.
    pub(crate) fn write(&self, relative: &str, contents: &str) {
        let path = self.root().join(relative);
        fs::create_dir_all(path.parent().expect("probe files sit in a directory"))
            .expect("probe directory can be created");
        fs::write(path, contents).expect("probe file can be written");
    }

    /// `cargo <args>` in the crate.
    pub(crate) fn cargo(&self, args: &[&str]) -> Output {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Command::new(cargo)
            .args(args)
            .current_dir(self.root())
            .env("CARGO_TARGET_DIR", probe_target_dir())
            // The outer build's settings must not leak in: `-D warnings` in RUSTFLAGS would turn
            // a warning under test into an error, and a watched list inherited from this
            // package's build script would hide a missing build-script line.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove(migrations_core::build::WATCHED_ENV)
            .output()
            .expect("cargo runs")
    }
}

fn manifest(package: &str, workspace: &Path, grammar: bool) -> String {
    let core = workspace.join("migrations-core");
    let mac = workspace.join("migrations-macro");
    let defaults = if grammar {
        ""
    } else {
        ", default-features = false"
    };
    // An empty [workspace] keeps the probe out of any workspace above its directory.
    format!(
        "[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nmigrations-core = {{ path = {core:?}{defaults} }}\nmigrations-macro = {{ path = {mac:?}{defaults} }}\n\n\
         [profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n"
    )
}

/// The repository root: this package lives in `<root>/tests`.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits inside the workspace")
        .to_owned()
}

fn probe_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is `<target>/tmp`")
        .join("embed-probes")
}
