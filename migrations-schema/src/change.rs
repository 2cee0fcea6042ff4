//! One difference between two catalogs, with the SQL that removes it, and the ordered list of
//! them that [`crate::diff`] returns.

use std::fmt;

use serde::Serialize;

/// The kinds of object a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A schema.
    Schema,
    /// An extension.
    Extension,
    /// A collation.
    Collation,
    /// An enum type.
    Enum,
    /// A domain.
    Domain,
    /// A composite type.
    CompositeType,
    /// A sequence.
    Sequence,
    /// A table.
    Table,
    /// A column of a table.
    Column,
    /// A table constraint.
    Constraint,
    /// An index.
    Index,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A function.
    Function,
    /// A procedure.
    Procedure,
    /// An aggregate.
    Aggregate,
    /// A trigger.
    Trigger,
    /// A row-level security policy.
    Policy,
}

impl ObjectKind {
    /// The words SQL and messages use for it.
    pub fn words(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Collation => "collation",
            ObjectKind::Enum => "enum type",
            ObjectKind::Domain => "domain",
            ObjectKind::CompositeType => "composite type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Aggregate => "aggregate",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Policy => "policy",
        }
    }
}

/// What the change does to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// It exists only in the target: created.
    Create,
    /// It exists only in the source: dropped.
    Drop,
    /// It exists in both, differently: altered (or dropped and created again).
    Alter,
}

/// Why a change needs a person's attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "hazard", content = "why")]
pub enum Hazard {
    /// It destroys data: a dropped table, column or type, a removed enum label.
    Destructive(String),
    /// It fails when existing rows do not fit (a new NOT NULL, a narrower type, a unique
    /// constraint over duplicates).
    MayFail(String),
    /// No SQL is generated: the change cannot be made in place and the reason says what to do.
    Manual(String),
}

/// The order changes run in: every drop before every create, and within each, objects before
/// those that depend on them (see the variants' order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Rename,
    DropPolicy,
    DropTrigger,
    DropDependent,
    DropForeignKey,
    DropIndex,
    DropConstraint,
    DropColumn,
    DropTable,
    DropRoutine,
    DropSequence,
    DropType,
    DropExtension,
    DropSchema,
    CreateSchema,
    CreateExtension,
    Type,
    Sequence,
    Routine,
    LateType,
    CreateTable,
    AlterTable,
    Constraint,
    Index,
    ForeignKey,
    Dependent,
    DependentIndex,
    Trigger,
    Policy,
    Ownership,
}

/// One difference between the source and the target catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The kind of object.
    pub kind: ObjectKind,
    /// The object, as SQL names it: `public.calls`, `public.calls.note`,
    /// `calls_pkey on public.calls`, `public.touch(integer)`.
    pub object: String,
    /// What is done to it.
    pub action: Action,
    /// The object in the source (what a drift check found), if it is there.
    pub found: Option<String>,
    /// The object in the target (what was expected), if it is there.
    pub expected: Option<String>,
    /// Why it needs attention, if it does.
    pub hazard: Option<Hazard>,
    /// The statements, in order, without trailing semicolons; empty for a manual change.
    pub sql: Vec<String>,
    #[serde(skip)]
    pub(crate) phase: Phase,
    #[serde(skip)]
    pub(crate) rank: usize,
    /// The later statements of a change listed elsewhere (run in another phase): part of the
    /// SQL, not a difference of its own.
    #[serde(skip)]
    pub(crate) continuation: bool,
}

impl fmt::Display for Change {
    /// `column public.calls.note: expected text not null, found character varying(255)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.kind.words(), self.object)?;
        let expected = self.expected.as_deref().map(one_line);
        let found = self.found.as_deref().map(one_line);
        match (&expected, &found) {
            (Some(expected), None) => write!(f, "missing (expected {expected})")?,
            (None, Some(found)) => write!(f, "unexpected (found {found})")?,
            // Equal descriptions: what differs is an attribute they leave out (privileges).
            (Some(expected), Some(found)) if expected == found => {
                write!(f, "differs in owner or privileges ({found})")?
            }
            (Some(expected), Some(found)) => write!(f, "expected {expected}, found {found}")?,
            (None, None) => write!(f, "differs")?,
        }
        if let Some(hazard) = &self.hazard {
            match hazard {
                Hazard::Destructive(why) => write!(f, " [destructive: {why}]")?,
                Hazard::MayFail(why) => write!(f, " [may fail: {why}]")?,
                Hazard::Manual(why) => write!(f, " [manual: {why}]")?,
            }
        }
        Ok(())
    }
}

/// `text` on one line, whitespace runs collapsed, cut after 160 characters: a view's query or a
/// routine's body stays readable in a list (the fields keep the whole text).
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// The differences between two catalogs, in the order their SQL must run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub(crate) changes: Vec<Change>,
}

impl Serialize for Diff {
    /// `{"differences": [...], "sql": "..."}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let differences: Vec<&Change> = self.differences().collect();
        let mut s = serializer.serialize_struct("Diff", 2)?;
        s.serialize_field("differences", &differences)?;
        s.serialize_field("sql", &self.script())?;
        s.end()
    }
}

impl Diff {
    /// No difference.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One entry per differing object, in SQL order.
    pub fn differences(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.continuation)
    }

    /// The differences, to settle a hazard the caller has checked (e.g. counted the rows a new
    /// NOT NULL would meet and found none).
    pub fn differences_mut(&mut self) -> impl Iterator<Item = &mut Change> {
        self.changes.iter_mut().filter(|c| !c.continuation)
    }

    /// Changes that destroy data.
    pub fn destructive(&self) -> impl Iterator<Item = &Change> {
        self.differences()
            .filter(|c| matches!(c.hazard, Some(Hazard::Destructive(_))))
    }

    /// Changes no SQL was generated for.
    pub fn manual(&self) -> impl Iterator<Item = &Change> {
        self.differences()
            .filter(|c| matches!(c.hazard, Some(Hazard::Manual(_))))
    }

    /// Every statement, in order.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.changes
            .iter()
            .flat_map(|c| c.sql.iter().map(String::as_str))
    }

    /// The SQL as a script for a transactional revision: each change's statements, led by a
    /// comment for each hazard, and `SET LOCAL check_function_bodies = false` first when it
    /// creates routines (as `pg_dump` does: a body may name objects created after it).
    pub fn script(&self) -> String {
        let mut out = String::new();
        if self.changes.iter().any(|c| {
            matches!(c.kind, ObjectKind::Function | ObjectKind::Procedure)
                && c.action != Action::Drop
        }) {
            out.push_str("SET LOCAL check_function_bodies = false;\n\n");
        }
        for change in &self.changes {
            if let Some(hazard) = &change.hazard {
                let (word, why) = match hazard {
                    Hazard::Destructive(why) => ("DESTRUCTIVE", why),
                    Hazard::MayFail(why) => ("MAY FAIL", why),
                    Hazard::Manual(why) => ("MANUAL", why),
                };
                let object = format!("{} {}", change.kind.words(), change.object);
                // A name may hold a line break: the comment must stay one line, or the rest
                // of it would be read as SQL.
                let line = format!("-- {word}: {object}: {why}");
                out.push_str(&migrations_core::quote::one_line(&line));
                out.push('\n');
            }
            for statement in &change.sql {
                out.push_str(statement);
                out.push_str(";\n");
            }
        }
        out
    }
}

impl Change {
    /// A change with no description, hazard or SQL yet.
    pub(crate) fn new(kind: ObjectKind, object: String, action: Action, phase: Phase) -> Self {
        Self {
            kind,
            object,
            action,
            found: None,
            expected: None,
            hazard: None,
            sql: Vec::new(),
            phase,
            rank: 0,
            continuation: false,
        }
    }

    pub(crate) fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    pub(crate) fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub(crate) fn hazard(mut self, hazard: Hazard) -> Self {
        self.hazard = Some(hazard);
        self
    }

    pub(crate) fn sql(mut self, statement: impl Into<String>) -> Self {
        self.sql.push(statement.into());
        self
    }

    pub(crate) fn sql_all(mut self, statements: impl IntoIterator<Item = String>) -> Self {
        self.sql.extend(statements);
        self
    }

    pub(crate) fn continuation(mut self) -> Self {
        self.continuation = true;
        self
    }

    pub(crate) fn rank(mut self, rank: usize) -> Self {
        self.rank = rank;
        self
    }
}
