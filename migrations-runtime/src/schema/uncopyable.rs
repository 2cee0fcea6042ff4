//! What a baseline cannot reproduce: the objects the catalog model does not read (the README's
//! "What the model does not read"), rules, default privileges, extended statistics, replica
//! identities, large objects and text search objects. A baseline is written from the model, so one
//! built over them would silently lack them, and its proof, read through the same model, would
//! not see it: `squash` refuses instead, naming them.

use tokio_postgres::Client;

use super::SchemaError;

/// One line per object of the kinds the model does not read, outside extensions and the
/// system schemas.
const QUERY: &str = "
WITH user_namespace AS (
    SELECT oid, nspname FROM pg_catalog.pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
), in_extension AS (
    SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'
)
SELECT format('rule %I on %I.%I', r.rulename, n.nspname, c.relname)
  FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN user_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN'
   AND NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = 'pg_rewrite'::regclass AND x.objid = r.oid)
UNION ALL
SELECT format('table %I.%I, which inherits from %s (inheritance outside partitioning)', n.nspname, c.relname, i.inhparent::regclass)
  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
  JOIN user_namespace n ON n.oid = c.relnamespace
 WHERE NOT c.relispartition AND c.relkind IN ('r', 'p', 'f')
UNION ALL
SELECT format('foreign table %I.%I', n.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN user_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'f' AND NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid)
UNION ALL
SELECT format('range type %I.%I', n.nspname, t.typname)
  FROM pg_catalog.pg_type t JOIN user_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'r' AND NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid)
UNION ALL
SELECT format('operator %I.%s', n.nspname, o.oprname)
  FROM pg_catalog.pg_operator o JOIN user_namespace n ON n.oid = o.oprnamespace
 WHERE NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = 'pg_operator'::regclass AND x.objid = o.oid)
UNION ALL
SELECT format('cast from %s to %s', format_type(c.castsource, NULL), format_type(c.casttarget, NULL))
  FROM pg_catalog.pg_cast c
 WHERE c.oid >= 16384 AND NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = 'pg_cast'::regclass AND x.objid = c.oid)
UNION ALL
SELECT format('default privileges of role %s', pg_get_userbyid(defaclrole)) FROM pg_catalog.pg_default_acl
UNION ALL
SELECT format('extended statistics %I.%I', n.nspname, x.stxname)
  FROM pg_catalog.pg_statistic_ext x JOIN user_namespace n ON n.oid = x.stxnamespace
UNION ALL
SELECT format('replica identity %s of %I.%I', CASE c.relreplident WHEN 'f' THEN 'FULL' WHEN 'n' THEN 'NOTHING' ELSE 'USING INDEX' END, n.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN user_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'd'
UNION ALL
SELECT format('%s large object(s)', count(*)) FROM pg_catalog.pg_largeobject_metadata HAVING count(*) > 0
UNION ALL
SELECT format('text search %s %I.%I', t.kind, n.nspname, t.name)
  FROM (SELECT 'configuration' AS kind, cfgname AS name, cfgnamespace AS ns, oid, 'pg_ts_config'::regclass AS cls FROM pg_catalog.pg_ts_config
        UNION ALL SELECT 'dictionary', dictname, dictnamespace, oid, 'pg_ts_dict'::regclass FROM pg_catalog.pg_ts_dict
        UNION ALL SELECT 'parser', prsname, prsnamespace, oid, 'pg_ts_parser'::regclass FROM pg_catalog.pg_ts_parser
        UNION ALL SELECT 'template', tmplname, tmplnamespace, oid, 'pg_ts_template'::regclass FROM pg_catalog.pg_ts_template) t
  JOIN user_namespace n ON n.oid = t.ns
 WHERE NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = t.cls AND x.objid = t.oid)
UNION ALL
SELECT format('publication %I', pubname) FROM pg_catalog.pg_publication
UNION ALL
SELECT format('event trigger %I', evtname) FROM pg_catalog.pg_event_trigger e
 WHERE NOT EXISTS (SELECT FROM in_extension x WHERE x.classid = 'pg_event_trigger'::regclass AND x.objid = e.oid)
ORDER BY 1";

/// Refuses when the database `client` is connected to (the chain through `through`, built)
/// holds what a baseline cannot reproduce.
pub(super) async fn refuse(client: &Client, through: &str) -> Result<(), SchemaError> {
    let found: Vec<String> = client
        .query(QUERY, &[])
        .await
        .map_err(|source| SchemaError::Scratch {
            action: "looking for what a baseline cannot reproduce".to_owned(),
            source,
        })?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(SchemaError::CannotSquash {
        reason: format!(
            "the revisions through {through} create {}, which the schema model does not read, so a baseline would lack them: squash through a revision before them, or keep the chain",
            found.join(", ")
        ),
    })
}
