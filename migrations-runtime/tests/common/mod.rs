//! Helpers shared by the binaries' integration tests.

use migrations_runtime::testing::{self, TestDatabase};

#[allow(dead_code)] // only the squash tests use it
pub(crate) mod squash;

/// A fresh, empty database on the shared test server.
pub(crate) async fn database() -> TestDatabase {
    testing::server()
        .await
        .expect("test server")
        .create_database()
        .await
        .expect("test database")
}

/// Runs the `migrate` binary on `dir` against `url`: stdout, stderr and the exit code.
#[allow(dead_code)] // not every test binary runs it
pub(crate) fn migrate(dir: &std::path::Path, url: &str, args: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_migrate"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .expect("migrate runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Writes `files` (path, contents) below `root`, creating directories.
#[allow(dead_code)] // not every test binary writes files
pub(crate) fn write(root: &std::path::Path, files: &[(&str, &str)]) {
    for (path, body) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, body).expect("write");
    }
}
