//! Reconciling a database the Python setup built its own way (SQLAlchemy's types, names,
//! nullability and defaults) with what our revisions up to its Alembic revision produce, keeping
//! every row: the differences and their SQL come from the schema engine; this module looks at
//! the rows behind each one first. A NOT NULL over NULLs where our column has a default is filled
//! with that default; a NOT NULL with no default, a value that no longer fits, a duplicate under
//! a new unique key, a row violating a new check or foreign key, and a destructive step are
//! refused, with the rows' count and the choices, unless the user chose (`--fill`,
//! `--allow-destructive`).

use std::fmt;

use migrations_runtime::migrations_schema::{diff, Catalog, Diff, Hazard, Name};
use migrations_runtime::quote;
use tokio_postgres::Transaction;

use super::rows;
use super::TakeoverError;

/// What the user decided for the steps that need a decision.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// `(table, column, SQL expression)`: fill the column's NULLs with the expression before it
    /// becomes NOT NULL (also where our column has a default).
    pub fill: Vec<(String, String, String)>,
    /// Run destructive steps (dropping a column, table or type the Python setup had and our
    /// revisions do not).
    pub allow_destructive: bool,
}

impl Choices {
    /// Parses `table.column=EXPRESSION` for [`Choices::fill`].
    pub fn parse_fill(text: &str) -> Result<(String, String, String), String> {
        let bad = || {
            format!("`{text}` is not table.column=EXPRESSION (e.g. call_sessions.operator_id='unknown')")
        };
        let (target, value) = text.split_once('=').ok_or_else(bad)?;
        let (table, column) = target.trim().split_once('.').ok_or_else(bad)?;
        if table.is_empty() || column.is_empty() || value.trim().is_empty() {
            return Err(bad());
        }
        Ok((table.to_owned(), column.to_owned(), value.trim().to_owned()))
    }
}

/// NULLs filled before a column becomes NOT NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// The table.
    pub table: Name,
    /// The column.
    pub column: String,
    /// The SQL expression written into them: our default, or the user's `--fill`.
    pub value: String,
    /// How many rows hold NULL there.
    pub rows: i64,
}

/// A step refused until the rows are fixed or the user decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// The object: `column public.calls.note`, `constraint x on public.t`.
    pub object: String,
    /// What is wrong, with the rows' count.
    pub problem: String,
    /// What the user can do.
    pub choices: String,
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.object, self.problem, self.choices)
    }
}

/// The reconciliation of one Alembic-era database, as `takeover --plan` shows it.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    /// The Alembic revision the database is at.
    pub revision: String,
    /// From the database to what our revisions up to `revision` produce.
    pub diff: Diff,
    /// NULLs filled first.
    pub fills: Vec<Fill>,
    /// Steps refused (empty: `--apply` can run).
    pub blockers: Vec<Blocker>,
    /// Checks that could not be made before applying (the apply's transaction rolls back if
    /// one fails).
    pub notes: Vec<String>,
    /// Objects whose rows were counted (`column public.t.c`, `constraint c on public.t`).
    pub(super) checked: Vec<String>,
    /// Objects with a conversion or check that could not be made before applying.
    pub(super) unchecked: Vec<String>,
}

impl Reconciliation {
    /// The SQL `--apply` runs, in one transaction with the stamps: the fills, then the diff.
    pub fn sql(&self) -> String {
        let mut sql = String::new();
        for fill in &self.fills {
            sql.push_str(&format!(
                "-- fills {} row(s) holding NULL before the column becomes NOT NULL\nUPDATE {} SET {} = {} WHERE {} IS NULL;\n",
                fill.rows,
                fill.table,
                quote::name(&fill.column),
                fill.value,
                quote::name(&fill.column)
            ));
        }
        sql.push_str(&self.diff.script());
        sql
    }
}

/// Compares the database in `tx` with `expected` and looks at the rows behind each difference.
pub(super) async fn reconcile(
    tx: &Transaction<'_>,
    revision: &str,
    found: &Catalog,
    expected: &Catalog,
    choices: &Choices,
) -> Result<Reconciliation, TakeoverError> {
    let mut plan = Reconciliation {
        revision: revision.to_owned(),
        diff: diff(found, expected),
        fills: Vec::new(),
        blockers: Vec::new(),
        notes: Vec::new(),
        checked: Vec::new(),
        unchecked: Vec::new(),
    };
    for (name, table) in &expected.tables {
        let Some(live) = found.tables.get(name) else {
            continue;
        };
        for column in &table.columns {
            if let Some(old) = live.column(&column.name) {
                rows::columns(tx, name, old, column, choices, &mut plan).await?;
            }
        }
    }
    for ((table, name), constraint) in &expected.constraints {
        let present = found.constraints.iter().any(|((t, _), c)| {
            t == table && (c.kind, &c.definition) == (constraint.kind, &constraint.definition)
        });
        if !present && found.tables.contains_key(table) {
            rows::rows_against(tx, table, name, constraint, &mut plan).await?;
        }
    }
    if !choices.allow_destructive {
        for change in plan.diff.destructive() {
            let why = match &change.hazard {
                Some(Hazard::Destructive(why)) => why.clone(),
                _ => String::new(),
            };
            plan.blockers.push(Blocker {
                object: format!("{} {}", change.kind.words(), change.object),
                problem: format!("the Python setup has it and our revisions do not: {why}"),
                choices: "keep it by adding it to a revision of ours, or pass --allow-destructive to drop it".to_owned(),
            });
        }
    }
    for change in plan.diff.manual() {
        plan.blockers.push(Blocker {
            object: format!("{} {}", change.kind.words(), change.object),
            problem: "cannot be changed in place".to_owned(),
            choices: match &change.hazard {
                Some(Hazard::Manual(why)) => why.clone(),
                _ => "change it by hand".to_owned(),
            },
        });
    }
    // A "may fail" the rows were counted for, and passed, is settled: the SQL's comments say
    // only what is still open.
    let blocked: Vec<&str> = plan.blockers.iter().map(|b| b.object.as_str()).collect();
    let (checked, unchecked) = (plan.checked.clone(), plan.unchecked.clone());
    for change in plan.diff.differences_mut() {
        let object = format!("{} {}", change.kind.words(), change.object);
        let settled = checked.contains(&object)
            && !unchecked.contains(&object)
            && !blocked.contains(&object.as_str());
        if settled && matches!(change.hazard, Some(Hazard::MayFail(_))) {
            change.hazard = None;
        }
    }
    Ok(plan)
}
