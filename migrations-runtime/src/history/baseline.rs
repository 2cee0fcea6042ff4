//! The history rows of a squashed history's baseline: every revision it replaces recorded, or
//! deleted, in one statement with it.

use migrations_core::Revision;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::ddl::METHODS;
use super::{HistoryError, HistoryTable, Method};

impl HistoryTable {
    /// Records `revisions` as brought by the baseline, in one statement: a baseline replaces
    /// hundreds of revisions, and a row each would be a round trip each. A table created before
    /// the `baseline` method existed has its CHECK constraint widened first.
    pub(crate) async fn insert_baseline(
        &self,
        client: &impl GenericClient,
        revisions: &[Revision],
    ) -> Result<(), HistoryError> {
        client
            .batch_execute(&self.allow_baseline_sql())
            .await
            .map_err(|e| self.query_error(e))?;
        let sql = format!(
            "INSERT INTO {} (version, name, checksum, checksum_algorithm, duration_ms, method) \
             SELECT v, n, c, a, NULL, $5 FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int2[]) AS r(v, n, c, a)",
            self.qualified()
        );
        let versions: Vec<&str> = revisions.iter().map(Revision::version).collect();
        let names: Vec<&str> = revisions.iter().map(Revision::name).collect();
        let checksums: Vec<Vec<u8>> = revisions.iter().map(|r| r.checksum().0.to_vec()).collect();
        let algorithms: Vec<i16> = revisions
            .iter()
            .map(|r| r.checksum_algorithm().id())
            .collect();
        client
            .execute_typed(
                &sql,
                &[
                    (&versions, Type::TEXT_ARRAY),
                    (&names, Type::TEXT_ARRAY),
                    (&checksums, Type::BYTEA_ARRAY),
                    (&algorithms, Type::INT2_ARRAY),
                    (&Method::Baseline.as_str(), Type::TEXT),
                ],
            )
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(())
    }

    /// Deletes the rows of `revisions` (the baseline's down script ran).
    pub(crate) async fn delete_baseline(
        &self,
        client: &impl GenericClient,
        revisions: &[Revision],
    ) -> Result<(), HistoryError> {
        let sql = format!("DELETE FROM {} WHERE version = ANY($1)", self.qualified());
        let versions: Vec<&str> = revisions.iter().map(Revision::version).collect();
        client
            .execute_typed(&sql, &[(&versions, Type::TEXT_ARRAY)])
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(())
    }

    /// Widens the `method` CHECK constraint of a table created before `baseline` was a method
    /// (its constraint does not name it), keeping the constraint's name; nothing otherwise.
    pub(crate) fn allow_baseline_sql(&self) -> String {
        let table = crate::quote::literal(&self.qualified());
        let methods = crate::quote::literal(METHODS);
        format!(
            "DO $migrations$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_catalog.pg_constraint
        WHERE conrelid = {table}::regclass AND contype = 'c'
          AND pg_catalog.pg_get_constraintdef(oid) LIKE '%method%'
          AND pg_catalog.pg_get_constraintdef(oid) NOT LIKE '%baseline%'
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I CHECK (method IN %s)', {table}, c.conname, c.conname, {methods});
    END LOOP;
END
$migrations$;"
        )
    }
}
