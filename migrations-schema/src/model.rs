//! The catalog model: what a set of PostgreSQL schemas contains, keyed and ordered canonically,
//! so that two catalogs read from different databases compare with `==` and diff field by field.
//!
//! Definitions PostgreSQL can deparse (constraints, index columns, view queries, routine bodies,
//! triggers, policy expressions, defaults) are kept in the server's own spelling, read under one
//! fixed `search_path` (see [`crate::ReadOptions`]), so equal objects have equal text however
//! they were written. Types are spelled by `format_type` (`character varying(255)`, `integer`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use migrations_core::quote;
use serde::Serialize;

/// A schema-qualified name: a relation, type, sequence or index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Name {
    /// The schema.
    pub schema: String,
    /// The object's name within it.
    pub name: String,
}

impl Name {
    /// `schema.name`.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl Name {
    /// How definitions spell this name, read under `search_path = public`: qualified, and also
    /// bare when it is in `public`.
    pub(crate) fn spellings(&self) -> Vec<String> {
        let mut spellings = vec![self.to_string()];
        if self.schema == "public" {
            spellings.push(quote::name(&self.name));
        }
        spellings
    }
}

impl fmt::Display for Name {
    /// Quoted where PostgreSQL needs it, so the text is valid SQL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}",
            quote::name(&self.schema),
            quote::name(&self.name)
        )
    }
}

/// A function or procedure: its name and the argument types that tell overloads apart.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RoutineId {
    /// Schema and name.
    pub name: Name,
    /// `pg_get_function_identity_arguments`: e.g. `call_id bigint, note text`.
    pub arguments: String,
}

impl fmt::Display for RoutineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.arguments)
    }
}

/// An object another one depends on (a view's tables, views and functions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Dependency {
    /// A table, view or materialized view.
    Relation(Name),
    /// A function or procedure.
    Routine(RoutineId),
}

/// A privilege held by a role other than the object's owner (`aclexplode`); `PUBLIC` for all.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Grant {
    /// The role, or `PUBLIC`.
    pub grantee: String,
    /// `SELECT`, `USAGE`, `EXECUTE`, ...
    pub privilege: String,
    /// Granted `WITH GRANT OPTION`.
    pub grantable: bool,
}

/// Ownership and privileges, compared only when [`crate::ReadOptions::privileges`] asks for them
/// (otherwise both are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Access {
    /// The owning role.
    pub owner: Option<String>,
    /// Privileges held by other roles.
    pub grants: BTreeSet<Grant>,
}

/// Everything read from a database, or built from a migrations directory or a declared schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Catalog {
    /// Schemas, by name.
    pub schemas: BTreeMap<String, Schema>,
    /// Extensions, by name.
    pub extensions: BTreeMap<String, Extension>,
    /// Collations.
    pub collations: BTreeMap<Name, Collation>,
    /// Enum, domain and composite types.
    pub types: BTreeMap<Name, Type>,
    /// Sequences, except those behind identity columns (they belong to the column).
    pub sequences: BTreeMap<Name, Sequence>,
    /// Tables, partitioned tables and partitions.
    pub tables: BTreeMap<Name, Table>,
    /// Table constraints, by table and name (domain constraints sit in their [`Domain`]).
    pub constraints: BTreeMap<(Name, String), Constraint>,
    /// Indexes that back no constraint, by schema and index name.
    pub indexes: BTreeMap<Name, Index>,
    /// Views and materialized views.
    pub views: BTreeMap<Name, View>,
    /// Functions, procedures and aggregates.
    pub routines: BTreeMap<RoutineId, Routine>,
    /// Triggers, by table and name.
    pub triggers: BTreeMap<(Name, String), Trigger>,
    /// Row-level security policies, by table and name.
    pub policies: BTreeMap<(Name, String), Policy>,
    /// Whether owners and grants were read ([`crate::ReadOptions::privileges`]): a view dropped
    /// and created again loses grants that were not.
    #[serde(skip)]
    pub privileges: bool,
}

/// A schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    /// `COMMENT ON SCHEMA`.
    pub comment: Option<String>,
    /// Owner and grants.
    pub access: Access,
}

/// An installed extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// The schema its objects live in.
    pub schema: String,
    /// Its version: shown, never compared (two servers may ship different builds).
    #[serde(skip)]
    pub version: String,
}

/// A collation (`CREATE COLLATION`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collation {
    /// `libc` or `icu`.
    pub provider: String,
    /// The ICU locale (`icu`).
    pub locale: Option<String>,
    /// `LC_COLLATE` (`libc`).
    pub lc_collate: Option<String>,
    /// `LC_CTYPE` (`libc`).
    pub lc_ctype: Option<String>,
    /// Whether equal means byte-equal.
    pub deterministic: bool,
    /// `COMMENT ON COLLATION`.
    pub comment: Option<String>,
}

/// A user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Type {
    /// What kind, with its definition.
    pub kind: TypeKind,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
    /// Owner and grants.
    pub access: Access,
}

/// The kinds of user-defined type the model covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TypeKind {
    /// `CREATE TYPE ... AS ENUM`, labels in their sort order.
    Enum(Vec<String>),
    /// `CREATE DOMAIN`.
    Domain(Domain),
    /// `CREATE TYPE ... AS (...)`.
    Composite(Vec<Attribute>),
}

/// A domain over a base type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Domain {
    /// The base type, as `format_type` spells it.
    pub base: String,
    /// A collation other than the base type's, as SQL.
    pub collation: Option<String>,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The default expression.
    pub default: Option<String>,
    /// Check constraints by name, as `pg_get_constraintdef` spells them.
    pub checks: BTreeMap<String, String>,
}

/// An attribute of a composite type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Attribute {
    /// Its name.
    pub name: String,
    /// Its type.
    pub data_type: String,
    /// A collation other than the type's, as SQL.
    pub collation: Option<String>,
}

/// A sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sequence {
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min: i64,
    /// `MAXVALUE`.
    pub max: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
    /// `OWNED BY table.column` (a `serial` column's sequence).
    pub owned_by: Option<(Name, String)>,
    /// `COMMENT ON SEQUENCE`.
    pub comment: Option<String>,
    /// Owner and grants.
    pub access: Access,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// `UNLOGGED`.
    pub unlogged: bool,
    /// `PARTITION BY ...` of a partitioned table.
    pub partition_by: Option<String>,
    /// The parent and bound of a partition.
    pub partition_of: Option<(Name, String)>,
    /// Columns in their order.
    pub columns: Vec<Column>,
    /// `ENABLE ROW LEVEL SECURITY`.
    pub row_security: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    pub force_row_security: bool,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// Owner and grants.
    pub access: Access,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type, as `format_type` spells it.
    pub data_type: String,
    /// A collation other than the type's, as SQL.
    pub collation: Option<String>,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The default expression (not for generated columns).
    pub default: Option<String>,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: Option<Identity>,
    /// The identity's sequence options, as `CREATE SEQUENCE` writes them
    /// (`START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE ... CACHE 1 NO CYCLE`).
    #[serde(default)]
    pub identity_options: Option<String>,
    /// `GENERATED ALWAYS AS (expression) STORED`.
    pub generated: Option<String>,
    /// Comes from the parent of a partition rather than the partition itself.
    pub inherited: bool,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
    /// Column privileges (`GRANT SELECT (col) ON ...`), when privileges are read.
    #[serde(default)]
    pub grants: BTreeSet<Grant>,
}

/// How an identity column generates its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

impl Identity {
    /// The SQL keyword between `GENERATED` and `AS IDENTITY`.
    pub fn keyword(self) -> &'static str {
        match self {
            Identity::Always => "ALWAYS",
            Identity::ByDefault => "BY DEFAULT",
        }
    }
}

/// The kinds of table constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `CHECK`.
    Check,
    /// `EXCLUDE`.
    Exclusion,
    /// `FOREIGN KEY`: created after every table and dropped before them.
    ForeignKey,
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    /// Its kind.
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef` without `NOT VALID`: columns, referenced table, actions,
    /// deferrability.
    pub definition: String,
    /// Validated against existing rows (false: added `NOT VALID` and not yet validated).
    pub validated: bool,
    /// `COMMENT ON CONSTRAINT`.
    pub comment: Option<String>,
}

impl Constraint {
    /// Whether this is a foreign key referencing `table`.
    pub(crate) fn references(&self, table: &Name) -> bool {
        self.kind == ConstraintKind::ForeignKey
            && table
                .spellings()
                .iter()
                .any(|s| self.definition.contains(&format!(" REFERENCES {s}(")))
    }
}

/// An index that backs no constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    /// The table or materialized view it indexes.
    pub table: Name,
    /// `UNIQUE`.
    pub unique: bool,
    /// What follows the table in `pg_get_indexdef`: method, columns and expressions with their
    /// order and operator classes, `INCLUDE`, `NULLS NOT DISTINCT`, storage options, predicate.
    pub definition: String,
    /// `COMMENT ON INDEX`.
    pub comment: Option<String>,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    /// `MATERIALIZED`.
    pub materialized: bool,
    /// The query, as `pg_get_viewdef` deparses it.
    pub definition: String,
    /// `WITH (...)` options, e.g. `security_barrier=true`.
    pub options: Vec<String>,
    /// The relations and routines its query uses, for ordering.
    #[serde(skip)]
    pub depends_on: BTreeSet<Dependency>,
    /// `COMMENT ON VIEW`.
    pub comment: Option<String>,
    /// Owner and grants.
    pub access: Access,
    /// `COMMENT ON COLUMN`, by column.
    pub column_comments: BTreeMap<String, String>,
}

/// The kinds of routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RoutineKind {
    /// `CREATE FUNCTION`.
    Function,
    /// `CREATE PROCEDURE`.
    Procedure,
    /// `CREATE AGGREGATE`: its definition is the parenthesised option list.
    Aggregate,
}

impl RoutineKind {
    /// The SQL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            RoutineKind::Function => "FUNCTION",
            RoutineKind::Procedure => "PROCEDURE",
            RoutineKind::Aggregate => "AGGREGATE",
        }
    }
}

/// A function, procedure or aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routine {
    /// Which kind.
    pub kind: RoutineKind,
    /// `pg_get_function_arguments`: names, modes and defaults.
    pub arguments: String,
    /// `pg_get_function_result`; none for a procedure.
    pub result: Option<String>,
    /// `pg_get_functiondef` after its first line: result, language, volatility, security,
    /// settings and body. For an aggregate, `(SFUNC = ..., STYPE = ...)`.
    pub definition: String,
    /// Relations its signature or (SQL-standard) body uses, and an aggregate's support
    /// functions, for ordering.
    #[serde(skip)]
    pub depends_on: BTreeSet<Dependency>,
    /// `COMMENT ON FUNCTION`.
    pub comment: Option<String>,
    /// Owner and grants.
    pub access: Access,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    /// `pg_get_triggerdef`.
    pub definition: String,
    /// `O` enabled, `D` disabled, `R` replica only, `A` always (`pg_trigger.tgenabled`).
    pub enabled: char,
    /// The function it calls, for ordering.
    #[serde(skip)]
    pub function: RoutineId,
    /// `COMMENT ON TRIGGER`.
    pub comment: Option<String>,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// `AS PERMISSIVE` (false: `AS RESTRICTIVE`).
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// The roles it applies to, `public` for all.
    pub roles: Vec<String>,
    /// `USING (...)`.
    pub using: Option<String>,
    /// `WITH CHECK (...)`.
    pub check: Option<String>,
    /// `COMMENT ON POLICY`.
    pub comment: Option<String>,
}
