//! A downstream crate: it depends on `migrations-runtime` alone (plus `migrations-core` in its
//! build script),
//! embeds its own `migrations/`, and its tests each get a database migrated to head.

/// This crate's revisions, checked and embedded at compile time.
pub static MIGRATIONS: migrations_runtime::Migrations =
    migrations_runtime::embed_migrations!("migrations");

/// Adds a user, returning its id.
pub async fn add_user(
    client: &migrations_runtime::tokio_postgres::Client,
    name: &str,
    email: &str,
) -> Result<i64, migrations_runtime::tokio_postgres::Error> {
    let row = client
        .query_one(
            "INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id",
            &[&name, &email],
        )
        .await?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use migrations_runtime::testing::TestDatabase;

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    #[migrations_runtime::test]
    async fn emails_are_unique_whatever_their_case(db: TestDatabase) -> Result {
        let client = db.connect().await?;
        super::add_user(&client, "Ada", "ada@example.com").await?;
        assert!(super::add_user(&client, "Ada", "ADA@example.com")
            .await
            .is_err());
        Ok(())
    }

    #[migrations_runtime::test(at = "001")]
    async fn revision_001_has_no_email_column(db: TestDatabase) -> Result {
        let client = db.connect().await?;
        let error = client.execute("UPDATE users SET email = 'x'", &[]).await;
        assert!(error.is_err());
        Ok(())
    }

    #[migrations_runtime::test(empty)]
    async fn every_revision_round_trips(db: TestDatabase) -> Result {
        let checked = migrations_runtime::testing::round_trip(&db, &super::MIGRATIONS).await?;
        assert_eq!(checked, ["001", "002"], "003 is irreversible");
        Ok(())
    }

    /// The Rust revision 003 on rows seeded at the revision before it: 1,200 users, three
    /// batches.
    #[migrations_runtime::test(at = "002")]
    async fn revision_003_lowercases_the_emails_in_batches(db: TestDatabase) -> Result {
        let client = db.connect().await?;
        client
            .batch_execute(
                "INSERT INTO users (name, email) SELECT 'u' || g, 'User' || g || '@Example.COM' FROM generate_series(1, 1200) g",
            )
            .await?;
        db.upgrade(&super::MIGRATIONS, "+1").await?;
        let upper: i64 = client
            .query_one(
                "SELECT count(*) FROM users WHERE email <> lower(email)",
                &[],
            )
            .await?
            .get(0);
        assert_eq!(upper, 0);
        Ok(())
    }
}
