//! The catalogue: every rule's id, what goes wrong, the safe pattern and its default level.

use std::fmt;

/// How a finding of a rule is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Not reported.
    Allow,
    /// A compiler warning (and a `migrate lint` line).
    Warn,
    /// A compile error (and `migrate lint` exits 1).
    Deny,
}

impl Level {
    /// `allow`, `warn` or `deny`, as `lint.toml` spells it.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "allow" => Some(Self::Allow),
            "warn" => Some(Self::Warn),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }

    /// The word `lint.toml` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Warn => "warn",
            Self::Deny => "deny",
        }
    }
}

/// A safety rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// `CONCURRENTLY` where a transaction is open: the revision fails every time.
    ConcurrentlyInTransaction,
    /// `VACUUM`, `CREATE`/`DROP DATABASE`, tablespaces, `ALTER SYSTEM` in a transaction.
    OutsideTransactionOnly,
    /// `CREATE INDEX` without `CONCURRENTLY` on a table that already exists.
    IndexNotConcurrent,
    /// `ADD COLUMN ... NOT NULL` without a default on a table that already exists.
    AddColumnNotNull,
    /// A foreign key or check constraint added without `NOT VALID` to an existing table.
    ConstraintNotValid,
    /// `ALTER COLUMN ... TYPE` on an existing table.
    AlterColumnType,
    /// Renaming a column or table that already exists.
    Rename,
    /// Dropping a column or table that already exists.
    Drop,
    /// `ALTER TYPE ... ADD VALUE` in a transaction.
    EnumValueInTransaction,
    /// A lock-taking statement on an existing table with no `lock_timeout` set before it.
    MissingLockTimeout,
}

impl Rule {
    /// Every rule, in catalogue order.
    pub const ALL: [Rule; 10] = [
        Rule::ConcurrentlyInTransaction,
        Rule::OutsideTransactionOnly,
        Rule::IndexNotConcurrent,
        Rule::AddColumnNotNull,
        Rule::ConstraintNotValid,
        Rule::AlterColumnType,
        Rule::Rename,
        Rule::Drop,
        Rule::EnumValueInTransaction,
        Rule::MissingLockTimeout,
    ];

    /// The id used in `-- lint: allow <id>` and `lint.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::ConcurrentlyInTransaction => "concurrently-in-transaction",
            Rule::OutsideTransactionOnly => "outside-transaction-only",
            Rule::IndexNotConcurrent => "index-not-concurrent",
            Rule::AddColumnNotNull => "add-column-not-null",
            Rule::ConstraintNotValid => "constraint-not-valid",
            Rule::AlterColumnType => "alter-column-type",
            Rule::Rename => "rename",
            Rule::Drop => "drop",
            Rule::EnumValueInTransaction => "enum-value-in-transaction",
            Rule::MissingLockTimeout => "missing-lock-timeout",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }

    /// What goes wrong, in one line.
    pub fn explanation(self) -> &'static str {
        match self {
            Rule::ConcurrentlyInTransaction => "CONCURRENTLY cannot run inside a transaction block, so this revision fails every time it runs",
            Rule::OutsideTransactionOnly => "this statement cannot run inside a transaction block, so this revision fails every time it runs",
            Rule::IndexNotConcurrent => "building an index without CONCURRENTLY blocks every write to the table until it is built",
            Rule::AddColumnNotNull => "adding a NOT NULL column without a default fails on a table that has rows",
            Rule::ConstraintNotValid => "adding a foreign key or check constraint validates every row while holding a lock that blocks writes",
            Rule::AlterColumnType => "changing a column's type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and breaks code reading the old type",
            Rule::Rename => "renaming a column or table breaks the running application's queries until the new code is deployed",
            Rule::Drop => "dropping a column or table breaks the code still reading it, and the data is gone for good",
            Rule::EnumValueInTransaction => "a label added with ALTER TYPE ... ADD VALUE inside a transaction cannot be used until the transaction commits (and PostgreSQL before 12 refuses it)",
            Rule::MissingLockTimeout => "the revision turns the runner's lock_timeout off (`lock-timeout=0`), so this statement may wait for a lock on a table in use without limit, and every query on that table queues behind it meanwhile",
        }
    }

    /// The safe pattern.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::ConcurrentlyInTransaction | Rule::OutsideTransactionOnly => "move it into a revision of its own that starts with `-- migrate: no-transaction` (and outside any BEGIN ... COMMIT in it)",
            Rule::IndexNotConcurrent => "use CREATE INDEX CONCURRENTLY in a `-- migrate: no-transaction` revision",
            Rule::AddColumnNotNull => "add the column nullable (or with a constant DEFAULT), backfill it in batches, add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
            Rule::ConstraintNotValid => "add it with NOT VALID (only new rows are checked, briefly locked), then VALIDATE CONSTRAINT in a later statement, which does not block writes",
            Rule::AlterColumnType => "add a column of the new type, backfill it, move readers and writers over, then drop the old column",
            Rule::Rename => "add the new name (a new column kept in sync, or a view), deploy code that uses it, and drop the old name in a later revision",
            Rule::Drop => "deploy code that no longer uses it first, then drop it in a later revision",
            Rule::EnumValueInTransaction => "add the value in a `-- migrate: no-transaction` revision and use it from the next revision on",
            Rule::MissingLockTimeout => "keep the runner's lock_timeout (drop `lock-timeout=0`, or give a duration) or `SET lock_timeout = '5s';` before the statement, and retry the deploy if it times out",
        }
    }

    /// The level without configuration. Statements that can never run are errors; the rest warn.
    pub fn default_level(self) -> Level {
        match self {
            Rule::ConcurrentlyInTransaction | Rule::OutsideTransactionOnly => Level::Deny,
            _ => Level::Warn,
        }
    }

    /// True for rules about a revision that can never run, which apply to down scripts too; the
    /// others are about deploying to a live database, which is what up scripts do.
    pub fn applies_to_down(self) -> bool {
        matches!(
            self,
            Rule::ConcurrentlyInTransaction
                | Rule::OutsideTransactionOnly
                | Rule::EnumValueInTransaction
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
        }
        let mut ids: Vec<_> = Rule::ALL.iter().map(|r| r.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
    }
}
