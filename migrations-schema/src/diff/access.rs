//! Comments, owners and grants: the attributes every kind of object has, compared the same way.

use std::collections::BTreeSet;

use migrations_core::quote;

use crate::model::{Access, Grant};

/// The SQL that gives an object `to`'s comment and access, starting from `from` (`None` for an
/// object just created, which has no comment and the default privileges of `kind`).
/// `on` is how `COMMENT ON` and `GRANT ... ON` name it: `TABLE public.calls`.
pub(super) fn attributes(
    on: &str,
    from: Option<(&Option<String>, &Access)>,
    to: (&Option<String>, &Access),
) -> Vec<String> {
    let mut sql = Vec::new();
    let (comment, access) = to;
    let before = from.map_or(&None, |(c, _)| c);
    if comment != before {
        let text = comment.as_deref().map_or("NULL".to_owned(), quote::literal);
        sql.push(format!("COMMENT ON {on} IS {text}"));
    }
    sql.extend(privileges(on, from.map(|(_, a)| a), access));
    sql
}

/// `ALTER ... OWNER TO`, `REVOKE` and `GRANT` from `from`'s access to `to`'s.
fn privileges(on: &str, from: Option<&Access>, to: &Access) -> Vec<String> {
    let mut sql = Vec::new();
    if to.owner.is_some() && to.owner != from.and_then(|a| a.owner.clone()) {
        let owner = to.owner.as_deref().unwrap_or_default();
        // `ALTER TABLE` also serves views and sequences; the rest use their own word.
        sql.push(format!("ALTER {on} OWNER TO {}", quote::name(owner)));
    }
    if to.owner.is_none() {
        return sql;
    }
    let defaults = default_grants(on);
    let before = from.map_or(&defaults, |a| &a.grants);
    // `GRANT ... ON TABLE` serves views too, `ON FUNCTION` aggregates.
    let target = match ["MATERIALIZED VIEW ", "VIEW "]
        .iter()
        .find_map(|w| on.strip_prefix(w))
    {
        Some(name) => format!("TABLE {name}"),
        None => match on.strip_prefix("AGGREGATE ") {
            Some(name) => format!("FUNCTION {name}"),
            None => on.to_owned(),
        },
    };
    for gone in before.difference(&to.grants) {
        let grantee = role(&gone.grantee);
        sql.push(format!(
            "REVOKE {} ON {target} FROM {grantee}",
            gone.privilege
        ));
    }
    for new in to.grants.difference(before) {
        let option = if new.grantable {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        let grantee = role(&new.grantee);
        sql.push(format!(
            "GRANT {} ON {target} TO {grantee}{option}",
            new.privilege
        ));
    }
    sql
}

fn role(name: &str) -> String {
    if name == "PUBLIC" {
        name.to_owned()
    } else {
        quote::name(name)
    }
}

/// What PostgreSQL grants on a new object besides its owner's rights (`acldefault`).
fn default_grants(on: &str) -> BTreeSet<Grant> {
    let privilege = match on.split(' ').next() {
        Some("FUNCTION" | "PROCEDURE" | "AGGREGATE") => "EXECUTE",
        Some("TYPE" | "DOMAIN") => "USAGE",
        _ => return BTreeSet::new(),
    };
    BTreeSet::from([Grant {
        grantee: "PUBLIC".to_owned(),
        privilege: privilege.to_owned(),
        grantable: false,
    }])
}

/// A comment, for a change's description.
pub(super) fn describe_comment(comment: &Option<String>) -> String {
    comment.as_deref().map_or("no comment".to_owned(), |c| {
        format!("comment {}", quote::literal(c))
    })
}
