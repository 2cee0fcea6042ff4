//! A synthetic revision history that looks like a real application's: mostly new tables with
//! keys, foreign keys, checks and indexes, plus added columns, extra indexes, trigger functions
//! and views on earlier tables. Deterministic, so every run benchmarks the same schema.
//!
//! ```
//! let revisions = appdb_benches::synthetic::generate(20);
//! assert_eq!(revisions[0].version, "0001");
//! assert!(revisions[0].up.starts_with("CREATE TABLE t0001"));
//! ```

use crate::layout::ScriptPair;

/// What one revision does, in the order the pattern repeats (every ten revisions: five tables,
/// two column additions, an index, a trigger, a view).
#[derive(Debug, Clone, Copy)]
enum Kind {
    Table,
    Columns,
    Index,
    Trigger,
    View,
}

const PATTERN: [Kind; 10] = [
    Kind::Table,
    Kind::Table,
    Kind::Columns,
    Kind::Table,
    Kind::Index,
    Kind::Table,
    Kind::Trigger,
    Kind::Table,
    Kind::Columns,
    Kind::View,
];

/// `count` revisions, versions `0001`, `0002`, ... (zero-padded so names sort as numbers).
/// Every `down` reverts its `up` exactly, so the set downgrades to an empty schema.
pub fn generate(count: usize) -> Vec<ScriptPair> {
    let mut tables = 0;
    (1..=count)
        .map(|number| {
            let kind = PATTERN[(number - 1) % PATTERN.len()];
            match kind {
                Kind::Table => {
                    tables += 1;
                    table(number, tables)
                }
                // Later kinds touch an earlier table, spread over the whole history.
                Kind::Columns => columns(number, pick(number, tables, 1)),
                Kind::Index => index(number, pick(number, tables, 1)),
                Kind::Trigger => trigger(number, pick(number, tables, 1)),
                Kind::View => view(number, pick(number, tables, 2)),
            }
        })
        .collect()
}

/// `count` revisions whose scripts are `SELECT 1;`: the server has next to nothing to do, so the
/// time a tool takes for them is its own overhead per revision.
///
/// ```
/// let revisions = appdb_benches::synthetic::trivial(2);
/// assert_eq!((revisions[1].version.as_str(), revisions[1].up.as_str()), ("0002", "SELECT 1;\n"));
/// ```
pub fn trivial(count: usize) -> Vec<ScriptPair> {
    (1..=count)
        .map(|number| ScriptPair {
            version: version(number),
            slug: format!("trivial_{number}"),
            up: "SELECT 1;\n".to_owned(),
            down: "SELECT 1;\n".to_owned(),
        })
        .collect()
}

/// An existing table number in `lowest..=tables`, varied with the revision number.
fn pick(number: usize, tables: usize, lowest: usize) -> usize {
    lowest + (number * 7) % (tables - lowest + 1)
}

/// The earlier table that table `table` references (none for the first).
fn parent_of(table: usize) -> Option<usize> {
    (table > 1).then(|| 1 + (table * 5) % (table - 1))
}

fn version(number: usize) -> String {
    format!("{number:04}")
}

fn table(number: usize, table: usize) -> ScriptPair {
    let name = format!("t{table:04}");
    let parent = parent_of(table);
    let reference = parent.map_or(String::new(), |p| {
        format!("    parent_id bigint REFERENCES t{p:04} (id) ON DELETE CASCADE,\n")
    });
    let mut up = format!(
        "CREATE TABLE {name} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
{reference}    code text NOT NULL UNIQUE,
    label text NOT NULL DEFAULT '',
    amount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'closed')),
    attributes jsonb NOT NULL DEFAULT '{{}}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz
);
CREATE INDEX {name}_status_created_idx ON {name} (status, created_at);
COMMENT ON TABLE {name} IS 'Synthetic table {table}, created by revision {number}.';
"
    );
    if parent.is_some() {
        up.push_str(&format!(
            "CREATE INDEX {name}_parent_id_idx ON {name} (parent_id);\n"
        ));
    }
    // Every fourth table is a lookup table with seed rows, so the schema carries some data.
    if table.is_multiple_of(4) {
        up.push_str(&format!(
            "INSERT INTO {name} (code, label, amount)
SELECT 'code-' || g, 'Label ' || g, g * 1.5 FROM generate_series(1, 50) AS g;
"
        ));
    }
    ScriptPair {
        version: version(number),
        slug: format!("create_{name}"),
        up,
        down: format!("DROP TABLE {name};\n"),
    }
}

fn columns(number: usize, table: usize) -> ScriptPair {
    let (name, v) = (format!("t{table:04}"), version(number));
    ScriptPair {
        slug: format!("add_columns_to_{name}"),
        up: format!(
            "ALTER TABLE {name}
    ADD COLUMN note_{v} text,
    ADD COLUMN score_{v} integer NOT NULL DEFAULT 0;
CREATE INDEX {name}_note_{v}_idx ON {name} (note_{v}) WHERE note_{v} IS NOT NULL;
"
        ),
        down: format!(
            "DROP INDEX {name}_note_{v}_idx;
ALTER TABLE {name} DROP COLUMN score_{v}, DROP COLUMN note_{v};
"
        ),
        version: v,
    }
}

fn index(number: usize, table: usize) -> ScriptPair {
    let (name, v) = (format!("t{table:04}"), version(number));
    ScriptPair {
        slug: format!("index_{name}_label"),
        up: format!("CREATE INDEX {name}_lower_label_{v}_idx ON {name} (lower(label), id);\n"),
        down: format!("DROP INDEX {name}_lower_label_{v}_idx;\n"),
        version: v,
    }
}

fn trigger(number: usize, table: usize) -> ScriptPair {
    let (name, v) = (format!("t{table:04}"), version(number));
    let function = format!("{name}_touch_{v}");
    ScriptPair {
        slug: format!("touch_trigger_on_{name}"),
        up: format!(
            "CREATE FUNCTION {function}() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER {function} BEFORE UPDATE ON {name}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"
        ),
        down: format!("DROP TRIGGER {function} ON {name};\nDROP FUNCTION {function}();\n"),
        version: v,
    }
}

fn view(number: usize, table: usize) -> ScriptPair {
    let (name, v) = (format!("t{table:04}"), version(number));
    let parent = parent_of(table).expect("views are only picked among tables from the second on");
    ScriptPair {
        slug: format!("view_open_{name}"),
        up: format!(
            "CREATE VIEW open_{name}_{v} AS
SELECT c.id, c.code, c.amount, p.code AS parent_code
FROM {name} AS c
LEFT JOIN t{parent:04} AS p ON p.id = c.parent_id
WHERE c.status <> 'closed';
"
        ),
        down: format!("DROP VIEW open_{name}_{v};\n"),
        version: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_numbers_and_are_unique() {
        let revisions = generate(200);
        let versions: Vec<&str> = revisions.iter().map(|r| r.version.as_str()).collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(versions, sorted);
    }

    #[test]
    fn the_mixture_has_every_kind() {
        let revisions = generate(200);
        let count = |needle: &str| revisions.iter().filter(|r| r.up.contains(needle)).count();
        assert_eq!(count("CREATE TABLE"), 100);
        assert_eq!(count("REFERENCES"), 99);
        assert_eq!(count("ADD COLUMN"), 40);
        assert_eq!(count("CREATE TRIGGER"), 20);
        assert_eq!(count("CREATE VIEW"), 20);
        assert_eq!(count("INSERT INTO"), 25);
    }

    #[test]
    fn references_point_at_earlier_tables() {
        for table in 2..=100 {
            let parent = parent_of(table).expect("every table but the first has a parent");
            assert!((1..table).contains(&parent), "t{table} -> t{parent}");
        }
    }
}
