//! A wide schema for the schema engine's benchmark: 500 tables in revisions of 10, each table with
//! an identity key, a foreign key to the table before it, two indexes (one partial or one on an
//! expression) and a check, and per revision two plpgsql functions (one of them a trigger's), a
//! trigger and a view. Deterministic, so every run reads, diffs and rebuilds the same schema.
//!
//! ```
//! let revisions = appdb_benches::wide::generate(2);
//! assert_eq!(revisions[1].version, "0002");
//! assert!(revisions[1].up.contains("CREATE TABLE w0011"));
//! assert!(revisions[1].up.contains("REFERENCES w0010 (id)"));
//! ```

use crate::layout::ScriptPair;

/// Tables each revision creates.
pub const TABLES_PER_REVISION: usize = 10;

/// `count` revisions, versions `0001`, `0002`, ..., creating `count * 10` tables `w0001`, ...
/// Every `down` reverts its `up`.
pub fn generate(count: usize) -> Vec<ScriptPair> {
    (1..=count).map(revision).collect()
}

/// What [`changes`] does, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeCounts {
    /// `ADD COLUMN`.
    pub added_columns: usize,
    /// `ALTER COLUMN ... TYPE`.
    pub changed_types: usize,
    /// `DROP INDEX`.
    pub dropped_indexes: usize,
}

/// The changes [`changes`] makes: 50 in all.
pub const CHANGES: ChangeCounts = ChangeCounts {
    added_columns: 20,
    changed_types: 15,
    dropped_indexes: 15,
};

/// SQL making [`CHANGES`] to a schema of at least 500 tables: columns added to every 25th table,
/// `code` widened from `varchar(255)` to `text` in every 33rd, the two-column index dropped from
/// every 31st, spread over the whole schema.
///
/// ```
/// let sql = appdb_benches::wide::changes();
/// assert_eq!(sql.lines().count(), 50);
/// assert!(sql.starts_with("ALTER TABLE w0001 ADD COLUMN note text;"));
/// ```
pub fn changes() -> String {
    let added = (0..CHANGES.added_columns)
        .map(|k| format!("ALTER TABLE {} ADD COLUMN note text;\n", table(25 * k + 1)));
    let retyped = (0..CHANGES.changed_types).map(|k| {
        format!(
            "ALTER TABLE {} ALTER COLUMN code TYPE text;\n",
            table(33 * k + 7)
        )
    });
    let dropped = (0..CHANGES.dropped_indexes)
        .map(|k| format!("DROP INDEX {}_parent_created_idx;\n", table(31 * k + 3)));
    added.chain(retyped).chain(dropped).collect()
}

fn table(number: usize) -> String {
    format!("w{number:04}")
}

fn revision(number: usize) -> ScriptPair {
    let first = (number - 1) * TABLES_PER_REVISION + 1;
    let last = number * TABLES_PER_REVISION;
    let mut up: String = (first..=last).map(create_table).collect();
    up.push_str(&functions(first, last));
    up.push_str(&view(first + TABLES_PER_REVISION / 2 - 1));
    let dropped_tables: Vec<String> = (first..=last).rev().map(table).collect();
    let (view, touched, counted) = (
        table(first + TABLES_PER_REVISION / 2 - 1),
        table(last),
        table(first),
    );
    let down = format!(
        "DROP VIEW {view}_with_parent;\n\
         DROP TRIGGER {touched}_touch ON {touched};\n\
         DROP FUNCTION {touched}_touch();\n\
         DROP FUNCTION {counted}_children(bigint);\n\
         DROP TABLE {};\n",
        dropped_tables.join(", ")
    );
    ScriptPair {
        version: format!("{number:04}"),
        slug: format!("tables_{first:04}_to_{last:04}"),
        up,
        down,
    }
}

fn create_table(number: usize) -> String {
    let name = table(number);
    let reference = match number {
        1 => String::new(),
        _ => format!(" REFERENCES {} (id) ON DELETE SET NULL", table(number - 1)),
    };
    let second_index = match number % 2 {
        1 => format!("CREATE INDEX {name}_code_idx ON {name} (code) WHERE code IS NOT NULL;\n"),
        _ => format!("CREATE INDEX {name}_lower_name_idx ON {name} (lower(name));\n"),
    };
    format!(
        "CREATE TABLE {name} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint{reference},
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    code varchar(255),
    payload jsonb NOT NULL DEFAULT '{{}}',
    CONSTRAINT {name}_name_check CHECK (char_length(name) BETWEEN 1 AND 200)
);
CREATE INDEX {name}_parent_created_idx ON {name} (parent_id, created_at);
{second_index}"
    )
}

/// A function counting the children of a row of the revision's first table, and a trigger
/// function with its trigger on its last table.
fn functions(first: usize, last: usize) -> String {
    let (counted, child, touched) = (table(first), table(first + 1), table(last));
    format!(
        "CREATE FUNCTION {counted}_children(p_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    found bigint;
BEGIN
    SELECT count(*) INTO found FROM {child} WHERE parent_id = p_id;
    RETURN found;
END
$$;
CREATE FUNCTION {touched}_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := NEW.payload || jsonb_build_object('touched_at', now());
    RETURN NEW;
END
$$;
CREATE TRIGGER {touched}_touch BEFORE UPDATE ON {touched}
    FOR EACH ROW EXECUTE FUNCTION {touched}_touch();
"
    )
}

/// A view joining table `number` with its parent.
fn view(number: usize) -> String {
    let (child, parent) = (table(number), table(number - 1));
    format!(
        "CREATE VIEW {child}_with_parent AS
SELECT c.id, c.name, c.created_at, p.name AS parent_name
FROM {child} c LEFT JOIN {parent} p ON p.id = c.parent_id
WHERE c.payload ->> 'state' = 'active';
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_revisions_make_the_benchmarks_schema() {
        let revisions = generate(50);
        let up: String = revisions.iter().map(|r| r.up.as_str()).collect();
        assert_eq!(up.matches("CREATE TABLE ").count(), 500);
        assert_eq!(up.matches(" REFERENCES ").count(), 499);
        assert_eq!(up.matches("CREATE INDEX ").count(), 1000);
        assert_eq!(up.matches(" WHERE code IS NOT NULL").count(), 250);
        assert_eq!(up.matches("CREATE FUNCTION ").count(), 100);
        assert_eq!(up.matches("CREATE TRIGGER ").count(), 50);
        assert_eq!(up.matches("CREATE VIEW ").count(), 50);
        assert_eq!(revisions[49].slug, "tables_0491_to_0500");
    }

    #[test]
    fn every_change_names_a_table_of_the_schema() {
        for line in changes().lines() {
            let word = line.split([' ', '_']).nth(2).unwrap_or_default();
            let number: usize = word
                .strip_prefix('w')
                .unwrap_or_default()
                .parse()
                .unwrap_or(0);
            assert!((1..=500).contains(&number), "{line}");
        }
    }
}
