//! Helpers shared by the binaries' integration tests.

use app_db::testing::{self, TestDatabase};

/// A fresh, empty database on the shared test server.
pub(crate) async fn database() -> TestDatabase {
    testing::server()
        .await
        .expect("test server")
        .create_database()
        .await
        .expect("test database")
}
