use super::*;

fn texts(sql: &str) -> Vec<&str> {
    split(sql).iter().map(|s| s.text(sql)).collect()
}

#[test]
fn splits_plain_statements_and_drops_comments_between() {
    let sql = "-- head\nCREATE TABLE a (x int);\n/* c; */\nINSERT INTO a VALUES (1)";
    assert_eq!(
        texts(sql),
        ["CREATE TABLE a (x int);", "INSERT INTO a VALUES (1)"]
    );
    assert_eq!(split(sql)[1].line, 4);
}

#[test]
fn semicolons_inside_literals_and_bodies_do_not_split() {
    let sql = "SELECT 'a;b', \"c;d\", E'\\';x';\nCREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;\nDO $$ BEGIN PERFORM 1; END $$;";
    let got = split(sql);
    assert_eq!(got.len(), 3, "{:?}", texts(sql));
    assert_eq!(got[2].line, 3);
}

#[test]
fn dollar_parameters_and_identifiers_are_not_quotes() {
    let sql = "PREPARE p AS SELECT $1; SELECT a$b FROM t; SELECT 1;";
    assert_eq!(split(sql).len(), 3);
}

#[test]
fn nested_block_comments() {
    let sql = "/* a /* b; */ c; */ SELECT 1; SELECT 2;";
    assert_eq!(texts(sql), ["SELECT 1;", "SELECT 2;"]);
}

#[test]
fn begin_atomic_bodies_stay_one_statement() {
    let sql = "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END;\nSELECT 3;";
    assert_eq!(split(sql).len(), 2, "{:?}", texts(sql));
}

#[test]
fn comment_only_script_has_no_statements() {
    assert!(split("-- nothing here\n/* really */\n\n").is_empty());
    assert!(split("").is_empty());
}

#[test]
fn classifies_transaction_control() {
    let kinds: Vec<_> = split(
        "BEGIN; START TRANSACTION; BEGIN ISOLATION LEVEL SERIALIZABLE; COMMIT; END; END WORK; ROLLBACK; \
         ROLLBACK TO SAVEPOINT s; SAVEPOINT s; COMMIT PREPARED 'x'; SELECT 1; begin raise 'x';",
    )
    .iter()
    .map(transaction_control)
    .collect();
    use TransactionControl::*;
    assert_eq!(
        kinds,
        [
            Some(Begin),
            Some(Begin),
            Some(BeginWithOptions),
            Some(Commit),
            Some(Commit),
            Some(Commit),
            Some(Rollback),
            None,
            None,
            Some(TwoPhase),
            None,
            None
        ]
    );
}

#[test]
fn plpgsql_end_inside_dollar_quotes_is_not_commit() {
    let sql = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  IF x THEN y; END IF;\nEND;\n$$ LANGUAGE plpgsql;";
    let stmts = split(sql);
    assert_eq!(stmts.len(), 1);
    assert_eq!(transaction_control(&stmts[0]), None);
}

#[test]
fn edge_cases_found_in_review() {
    // A comment between BEGIN and ATOMIC.
    let atomic = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN /* c */ ATOMIC SELECT 1; END;\nSELECT 2;";
    assert_eq!(split(atomic).len(), 2, "{:?}", texts(atomic));
    // Commas do not hide BEGIN with options.
    let stmts = split("BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE;");
    assert_eq!(
        transaction_control(&stmts[0]),
        Some(TransactionControl::BeginWithOptions)
    );
    // Semicolons inside parentheses, as in a multi-action rule.
    let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;";
    assert_eq!(split(rule).len(), 2, "{:?}", texts(rule));
}
