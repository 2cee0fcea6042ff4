//! The catalog queries, one per object kind. `$1` is the schemas to read (empty: every user
//! schema); relation queries take `$2`, the tables to leave out as `schema.name`. Placeholders in
//! capitals are filled in by [`expand`].

/// A user schema (`n`) that the read covers.
const USER: &str = "(n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' \
                    AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1::text[])))";

/// Ownership and privileges of an object: `OWNER(owner_column)`, `GRANTS(acl, owner, kind)`.
fn access(owner: &str, acl: &str, kind: &str) -> String {
    format!(
        "pg_get_userbyid({owner}) AS owner,
         (SELECT coalesce(json_agg(json_build_object(
                    'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                    'privilege', a.privilege_type, 'grantable', a.is_grantable)), '[]')
          FROM aclexplode(coalesce({acl}, acldefault('{kind}', {owner}))) a
          WHERE a.grantee <> {owner}) AS grants"
    )
}

/// `query` with `USER`, `NOT_EXTENSION(oid)`, `ACCESS(owner, acl, kind)` and
/// `COLLATION(collation_oid, type_collation_oid)` replaced.
pub(super) fn expand(query: &str) -> String {
    let mut query = query.replace("USER", USER);
    while let Some((at, end, args)) = call(&query, "NOT_EXTENSION(") {
        let test = format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = {} AND e.deptype = 'e')",
            args[0]
        );
        query.replace_range(at..=end, &test);
    }
    while let Some((at, end, args)) = call(&query, "ACCESS(") {
        query.replace_range(at..=end, &access(args[0], args[1], args[2]));
    }
    while let Some((at, end, args)) = call(&query, "COLLATION(") {
        // Only a collation other than the type's is part of the definition.
        let sql = format!(
            "(SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname)
                          ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
              FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
              WHERE co.oid = {} AND {} <> {} AND {} <> 0)",
            args[0], args[0], args[1], args[0]
        );
        query.replace_range(at..=end, &sql);
    }
    query
}

/// The first `name...)` call in `query`: its span and comma-separated arguments (which contain
/// no parentheses).
fn call<'q>(query: &'q str, name: &str) -> Option<(usize, usize, Vec<&'q str>)> {
    let at = query.find(name)?;
    let open = at + name.len();
    let end = open + query[open..].find(')')?;
    let args = query[open..end].split(',').map(str::trim).collect();
    Some((at, end, args))
}

/// Schemas.
pub(super) const SCHEMAS: &str = "
SELECT n.nspname, obj_description(n.oid, 'pg_namespace'), ACCESS(n.nspowner, n.nspacl, n)
FROM pg_namespace n WHERE USER AND NOT_EXTENSION(n.oid)";

/// Extensions.
pub(super) const EXTENSIONS: &str = "
SELECT e.extname, n.nspname, e.extversion
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE cardinality($1::text[]) >= 0";

/// Collations, read through `to_jsonb` so that the locale column's name (which PostgreSQL 17
/// renamed) does not matter.
pub(super) const COLLATIONS: &str = "
SELECT n.nspname, co.collname,
       CASE co.collprovider WHEN 'i' THEN 'icu' WHEN 'c' THEN 'libc' ELSE 'default' END,
       coalesce(to_jsonb(co) ->> 'colliculocale', to_jsonb(co) ->> 'colllocale'),
       co.collcollate, co.collctype, co.collisdeterministic,
       obj_description(co.oid, 'pg_collation')
FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
WHERE USER AND NOT_EXTENSION(co.oid)";

/// Enum, domain and composite types.
pub(super) const TYPES: &str = "
SELECT n.nspname, t.typname, t.typtype::text,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       COLLATION(t.typcollation, bt.typcollation),
       t.typnotnull, pg_get_expr(t.typdefaultbin, 0),
       (SELECT coalesce(json_agg(json_build_object(
                  'name', a.attname, 'data_type', format_type(a.atttypid, a.atttypmod),
                  'collation', COLLATION(a.attcollation, at.typcollation)) ORDER BY a.attnum), '[]')
        FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
       obj_description(t.oid, 'pg_type'), ACCESS(t.typowner, t.typacl, T)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE USER AND NOT_EXTENSION(t.oid)
  AND (t.typtype IN ('e', 'd')
       OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))";

/// Check constraints of domains.
pub(super) const DOMAIN_CHECKS: &str = "
SELECT n.nspname, t.typname, k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE USER AND NOT_EXTENSION(t.oid)";

/// Sequences that no identity column owns.
pub(super) const SEQUENCES: &str = "
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
       s.seqmax, s.seqcache, s.seqcycle, o_n.nspname, oc.relname, o.attname,
       obj_description(c.oid, 'pg_class'), ACCESS(c.relowner, c.relacl, s)
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
-- Plain joins driven by the sequence's oid, so that pg_depend is probed through its index even
-- in a database whose catalogs were never analyzed (a fresh scratch database): a LATERAL here
-- was planned there as a rescanned materialized join, 20 times slower.
LEFT JOIN pg_depend od ON od.classid = 'pg_class'::regclass AND od.objid = c.oid AND od.objsubid = 0
     AND od.deptype = 'a' AND od.refclassid = 'pg_class'::regclass
LEFT JOIN pg_class oc ON oc.oid = od.refobjid
LEFT JOIN pg_namespace o_n ON o_n.oid = oc.relnamespace
LEFT JOIN pg_attribute o ON o.attrelid = oc.oid AND o.attnum = od.refobjsubid
WHERE USER AND NOT_EXTENSION(c.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')";

/// Tables with their columns.
pub(super) const TABLES: &str = "
SELECT n.nspname, c.relname, c.relpersistence = 'u',
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       pn.nspname, pc.relname, CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       c.relrowsecurity, c.relforcerowsecurity,
       (SELECT coalesce(json_agg(json_build_object(
                  'name', a.attname, 'data_type', format_type(a.atttypid, a.atttypmod),
                  'collation', COLLATION(a.attcollation, at.typcollation),
                  'not_null', a.attnotnull,
                  'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                  'identity', CASE a.attidentity WHEN 'a' THEN 'Always' WHEN 'd' THEN 'ByDefault' END,
                  'identity_options', CASE WHEN a.attidentity <> '' THEN
                      (SELECT format('START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s %s',
                                     s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                                     CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END)
                       FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid
                       WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid
                         AND dep.refobjsubid = a.attnum AND dep.classid = 'pg_class'::regclass
                         AND dep.deptype = 'i') END,
                  'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                  'inherited', NOT a.attislocal,
                  'comment', col_description(c.oid, a.attnum),
                  'grants', (SELECT coalesce(json_agg(json_build_object(
                                 'grantee', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END,
                                 'privilege', g.privilege_type, 'grantable', g.is_grantable)), '[]')
                             FROM aclexplode(a.attacl) g)) ORDER BY a.attnum), '[]')
        FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       obj_description(c.oid, 'pg_class'), ACCESS(c.relowner, c.relacl, r)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p') AND USER AND NOT_EXTENSION(c.oid)
  AND n.nspname || '.' || c.relname <> ALL ($2::text[])";

/// Table constraints declared on the table itself (not cloned from a partitioned parent).
pub(super) const CONSTRAINTS: &str = "
SELECT n.nspname, c.relname, k.conname, k.contype::text, pg_get_constraintdef(k.oid), k.convalidated,
       obj_description(k.oid, 'pg_constraint')
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE USER AND NOT_EXTENSION(c.oid) AND c.relkind IN ('r', 'p')
  AND k.contype IN ('p', 'u', 'c', 'f', 'x') AND k.conparentid = 0 AND k.conislocal
  AND n.nspname || '.' || c.relname <> ALL ($2::text[])";

/// Indexes that back no constraint and are not a partition's copy of its parent's index, with
/// the prefix of their definition to strip.
pub(super) const INDEXES: &str = "
SELECT n.nspname, ic.relname, tc.relname, i.indisunique, pg_get_indexdef(i.indexrelid),
       'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || quote_ident(ic.relname)
       || ' ON ' || CASE WHEN tc.relkind = 'p' THEN 'ONLY ' ELSE '' END
       || quote_ident(n.nspname) || '.' || quote_ident(tc.relname) || ' ',
       obj_description(ic.oid, 'pg_class')
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
WHERE USER AND NOT_EXTENSION(tc.oid) AND tc.relkind IN ('r', 'p', 'm') AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                  AND k.contype IN ('p', 'u', 'x'))
  AND n.nspname || '.' || tc.relname <> ALL ($2::text[])";

/// Views and materialized views, with the relations and routines their queries use.
pub(super) const VIEWS: &str = "
SELECT n.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid),
       coalesce(c.reloptions, '{}')::text[],
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_array(rn.nspname, rc.relname)), '[]')
        FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
        JOIN pg_class rc ON rc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
        JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE r.ev_class = c.oid AND rc.oid <> c.oid),
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_array(pn.nspname, p.proname,
                                      pg_get_function_identity_arguments(p.oid))), '[]')
        FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
        JOIN pg_proc p ON p.oid = d.refobjid AND d.refclassid = 'pg_proc'::regclass
        JOIN pg_namespace pn ON pn.oid = p.pronamespace
        WHERE r.ev_class = c.oid),
       obj_description(c.oid, 'pg_class'), ACCESS(c.relowner, c.relacl, r),
       (SELECT coalesce(json_object_agg(a.attname, col_description(c.oid, a.attnum)), '{}')
        FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND USER AND NOT_EXTENSION(c.oid)
  AND n.nspname || '.' || c.relname <> ALL ($2::text[])";

/// Functions, procedures and aggregates, with the relations their signatures or bodies use and
/// the functions an aggregate is made of.
pub(super) const ROUTINES: &str = "
SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind::text,
       pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
       CASE WHEN p.prokind = 'a' THEN
           (SELECT '(' || concat_ws(', ',
                'SFUNC = ' || a.aggtransfn::regproc::text,
                'STYPE = ' || format_type(a.aggtranstype, NULL),
                CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END,
                CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::regproc::text END,
                CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
                CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::regproc::text END,
                CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::regproc::text END,
                CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::regproc::text END,
                CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || quote_literal(a.agginitval) END,
                CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END)
                || ')'
            FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
       ELSE pg_get_functiondef(p.oid) END,
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_array(rn.nspname, rc.relname)), '[]')
        FROM pg_depend d
        LEFT JOIN pg_type ty ON d.refclassid = 'pg_type'::regclass AND ty.oid = d.refobjid
        JOIN pg_class rc ON rc.oid = CASE WHEN d.refclassid = 'pg_class'::regclass THEN d.refobjid
                                          ELSE ty.typrelid END
        JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND rc.relkind IN ('r', 'p', 'v', 'm')),
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_array(fn.nspname, f.proname,
                                      pg_get_function_identity_arguments(f.oid))), '[]')
        FROM pg_depend d JOIN pg_proc f ON f.oid = d.refobjid
        JOIN pg_namespace fn ON fn.oid = f.pronamespace
        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_proc'::regclass
          AND d.deptype = 'n' AND NOT_EXTENSION(f.oid)),
       obj_description(p.oid, 'pg_proc'), ACCESS(p.proowner, p.proacl, f)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE USER AND NOT_EXTENSION(p.oid) AND p.prokind IN ('f', 'p', 'a')";

/// Triggers written by users (not those behind constraints, nor partitions' clones).
pub(super) const TRIGGERS: &str = "
SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text,
       obj_description(t.oid, 'pg_trigger'), fn.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace fn ON fn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND USER AND NOT_EXTENSION(c.oid)
  AND n.nspname || '.' || c.relname <> ALL ($2::text[])";

/// Row-level security policies.
pub(super) const POLICIES: &str = "
SELECT n.nspname, c.relname, p.polname, p.polpermissive,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                     WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
             FROM unnest(p.polroles) r ORDER BY 1),
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
       obj_description(p.oid, 'pg_policy')
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE USER AND NOT_EXTENSION(c.oid) AND n.nspname || '.' || c.relname <> ALL ($2::text[])";
