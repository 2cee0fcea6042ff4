// migrate: irreversible
//
// Stores every email in lower case (the unique index already compares them so), 500 users at a
// time: each batch commits with its cursor, so a deploy killed half-way resumes where it stopped.

use migrations_runtime::tokio_postgres::{Error, Transaction};

/// One batch: the users after `after` (by id). Returns the last id, or `None` when done.
pub async fn up(tx: &mut Transaction<'_>, after: Option<i64>) -> Result<Option<i64>, Error> {
    let row = tx
        .query_one(
            "WITH batch AS (SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT 500),
                  changed AS (UPDATE users SET email = lower(email)
                              FROM batch WHERE users.id = batch.id AND email <> lower(email))
             SELECT max(id) FROM batch",
            &[&after.unwrap_or(0)],
        )
        .await?;
    Ok(row.get(0))
}
