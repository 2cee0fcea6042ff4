//! The rules applied to one script's parse trees, statement by statement, knowing how the
//! runner wraps the script and what the same script created before each statement.

use std::collections::HashSet;

use pg_query::protobuf::{
    node, AlterTableCmd, AlterTableType, ConstrType, Constraint, ObjectType, RangeVar,
    TransactionStmtKind, VariableSetKind,
};
use pg_query::NodeEnum;

use super::rule::Rule;

/// What is known at a statement: set by the statements before it.
pub(crate) struct Context {
    /// The runner wraps the script in a transaction (or the file wraps itself in one).
    transactional: bool,
    /// An up script: the rules about deploying to a live database apply.
    up: bool,
    /// Tables created earlier in this script: nobody uses them yet.
    created: HashSet<String>,
    /// A `lock_timeout` is in force: the runner's (unless the revision turned it off with
    /// `lock-timeout=0`), or a `SET lock_timeout` earlier in the script.
    lock_timeout: bool,
    /// `missing-lock-timeout` was reported once already for this script.
    lock_timeout_reported: bool,
    /// Inside the file's own `BEGIN` ... `COMMIT` (in a `no-transaction` revision).
    own_block: bool,
}

impl Context {
    /// The context at the start of a script; `lock_timeout`: the runner sets one.
    pub(super) fn new(transactional: bool, up: bool, lock_timeout: bool) -> Self {
        Self {
            transactional,
            up,
            created: HashSet::new(),
            lock_timeout,
            lock_timeout_reported: false,
            own_block: false,
        }
    }

    fn in_transaction(&self) -> bool {
        self.transactional || self.own_block
    }

    /// A table that existed before this script: in use, on a live database.
    fn hot(&self, relation: Option<&RangeVar>) -> bool {
        self.up && relation.is_some_and(|r| !self.created.contains(&r.relname))
    }

    /// Records that the statement being checked creates table `name` (for statements whose
    /// tree is not built: see `need`).
    pub(super) fn created(&mut self, name: String) {
        self.created.insert(name);
    }

    /// The rules `statement` breaks, updating the context for the statements after it.
    pub(super) fn check(&mut self, statement: &NodeEnum) -> Vec<Rule> {
        let mut hits = Vec::new();
        let locks = self.visit(statement, &mut hits);
        if locks && !self.lock_timeout && !self.lock_timeout_reported {
            self.lock_timeout_reported = true;
            hits.push(Rule::MissingLockTimeout);
        }
        if !self.up {
            hits.retain(|r| r.applies_to_down());
        }
        hits
    }

    /// Pushes the rules broken; returns whether the statement takes a blocking lock on a table
    /// in use. A rule about another kind of statement must also be known to `need.rs`, which
    /// skips building trees for the kinds no rule looks at.
    fn visit(&mut self, statement: &NodeEnum, hits: &mut Vec<Rule>) -> bool {
        let in_tx = self.in_transaction();
        match statement {
            NodeEnum::CreateStmt(s) => {
                if let Some(r) = &s.relation {
                    self.created.insert(r.relname.clone());
                }
                false
            }
            NodeEnum::CreateTableAsStmt(s) => {
                if let Some(r) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.created.insert(r.relname.clone());
                }
                false
            }
            NodeEnum::IndexStmt(s) => {
                let hot = self.hot(s.relation.as_ref());
                if s.concurrent && in_tx {
                    hits.push(Rule::ConcurrentlyInTransaction);
                } else if !s.concurrent && hot {
                    hits.push(Rule::IndexNotConcurrent);
                }
                hot && !s.concurrent
            }
            NodeEnum::DropStmt(s) => {
                if s.concurrent && in_tx {
                    hits.push(Rule::ConcurrentlyInTransaction);
                }
                let tables = s.remove_type == ObjectType::ObjectTable as i32;
                let hot = tables && self.up && s.objects.iter().any(|o| !self.created_name(o));
                if hot {
                    hits.push(Rule::Drop);
                }
                hot
            }
            NodeEnum::ReindexStmt(s) => {
                let concurrently = s.params.iter().any(|p| {
                    matches!(&p.node, Some(node::Node::DefElem(d)) if d.defname == "concurrently")
                });
                if concurrently && in_tx {
                    hits.push(Rule::ConcurrentlyInTransaction);
                }
                false
            }
            NodeEnum::AlterTableStmt(s) if s.objtype == ObjectType::ObjectTable as i32 => {
                let hot = self.hot(s.relation.as_ref());
                for cmd in &s.cmds {
                    if let Some(node::Node::AlterTableCmd(cmd)) = &cmd.node {
                        alter_table_cmd(cmd, hot, in_tx, hits);
                    }
                }
                hot
            }
            NodeEnum::RenameStmt(s) => {
                let renames = [ObjectType::ObjectColumn, ObjectType::ObjectTable]
                    .iter()
                    .any(|t| s.rename_type == *t as i32);
                let hot = renames && self.hot(s.relation.as_ref());
                if hot {
                    hits.push(Rule::Rename);
                }
                hot
            }
            NodeEnum::CreateTrigStmt(s) => self.hot(s.relation.as_ref()),
            NodeEnum::AlterEnumStmt(s) => {
                if s.old_val.is_empty() && in_tx {
                    hits.push(Rule::EnumValueInTransaction);
                }
                false
            }
            NodeEnum::VacuumStmt(s) if s.is_vacuumcmd && in_tx => {
                hits.push(Rule::OutsideTransactionOnly);
                false
            }
            NodeEnum::CreatedbStmt(_)
            | NodeEnum::DropdbStmt(_)
            | NodeEnum::CreateTableSpaceStmt(_)
            | NodeEnum::DropTableSpaceStmt(_)
            | NodeEnum::AlterSystemStmt(_)
                if in_tx =>
            {
                hits.push(Rule::OutsideTransactionOnly);
                false
            }
            NodeEnum::VariableSetStmt(s) if s.name == "lock_timeout" => {
                self.lock_timeout = s.kind == VariableSetKind::VarSetValue as i32;
                false
            }
            NodeEnum::TransactionStmt(s) => {
                let kind = s.kind;
                if kind == TransactionStmtKind::TransStmtBegin as i32
                    || kind == TransactionStmtKind::TransStmtStart as i32
                {
                    self.own_block = true;
                } else if kind == TransactionStmtKind::TransStmtCommit as i32
                    || kind == TransactionStmtKind::TransStmtRollback as i32
                {
                    self.own_block = false;
                }
                false
            }
            _ => false,
        }
    }

    /// For `DROP TABLE a, b`: whether this name is one the script created.
    fn created_name(&self, object: &pg_query::protobuf::Node) -> bool {
        let Some(node::Node::List(list)) = &object.node else {
            return false;
        };
        match list.items.last().and_then(|n| n.node.as_ref()) {
            Some(node::Node::String(name)) => self.created.contains(&name.sval),
            _ => false,
        }
    }
}

fn alter_table_cmd(cmd: &AlterTableCmd, hot: bool, in_tx: bool, hits: &mut Vec<Rule>) {
    let is = |t: AlterTableType| cmd.subtype == t as i32;
    if is(AlterTableType::AtDetachPartition) {
        if let Some(node::Node::PartitionCmd(p)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
            if p.concurrent && in_tx {
                hits.push(Rule::ConcurrentlyInTransaction);
            }
        }
    }
    if !hot {
        return;
    }
    let def = cmd.def.as_ref().and_then(|d| d.node.as_ref());
    if is(AlterTableType::AtAddColumn) {
        if let Some(node::Node::ColumnDef(column)) = def {
            let constraints: Vec<&Constraint> = column
                .constraints
                .iter()
                .filter_map(|c| match &c.node {
                    Some(node::Node::Constraint(c)) => Some(c.as_ref()),
                    _ => None,
                })
                .collect();
            let has = |t: ConstrType| constraints.iter().any(|c| c.contype == t as i32);
            let required = column.is_not_null
                || has(ConstrType::ConstrNotnull)
                || has(ConstrType::ConstrPrimary);
            let filled = column.raw_default.is_some()
                || has(ConstrType::ConstrDefault)
                || has(ConstrType::ConstrIdentity)
                || has(ConstrType::ConstrGenerated);
            if required && !filled {
                hits.push(Rule::AddColumnNotNull);
            }
        }
    } else if is(AlterTableType::AtAddConstraint) {
        if let Some(node::Node::Constraint(c)) = def {
            let validating = c.contype == ConstrType::ConstrForeign as i32
                || c.contype == ConstrType::ConstrCheck as i32;
            if validating && !c.skip_validation {
                hits.push(Rule::ConstraintNotValid);
            }
        }
    } else if is(AlterTableType::AtAlterColumnType) {
        hits.push(Rule::AlterColumnType);
    } else if is(AlterTableType::AtDropColumn) {
        hits.push(Rule::Drop);
    }
}
