//! A downstream crate: it depends on `app-db` alone (plus `migrations-core` in its build script),
//! embeds its own `migrations/`, and its tests each get a database migrated to head.

/// This crate's revisions, checked and embedded at compile time.
pub static MIGRATIONS: app_db::Migrations = app_db::embed_migrations!("migrations");

/// Adds a user, returning its id.
pub async fn add_user(
    client: &app_db::tokio_postgres::Client,
    name: &str,
    email: &str,
) -> Result<i64, app_db::tokio_postgres::Error> {
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
    use app_db::testing::TestDatabase;

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    #[app_db::test]
    async fn emails_are_unique_whatever_their_case(db: TestDatabase) -> Result {
        let client = db.connect().await?;
        super::add_user(&client, "Ada", "ada@example.com").await?;
        assert!(super::add_user(&client, "Ada", "ADA@example.com")
            .await
            .is_err());
        Ok(())
    }

    #[app_db::test(at = "001")]
    async fn revision_001_has_no_email_column(db: TestDatabase) -> Result {
        let client = db.connect().await?;
        let error = client.execute("UPDATE users SET email = 'x'", &[]).await;
        assert!(error.is_err());
        Ok(())
    }

    #[app_db::test(empty)]
    async fn every_revision_round_trips(db: TestDatabase) -> Result {
        let checked = app_db::testing::round_trip(&db, &super::MIGRATIONS).await?;
        assert_eq!(checked, ["001", "002"]);
        Ok(())
    }
}
