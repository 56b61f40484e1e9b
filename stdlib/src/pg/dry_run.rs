//! What dry run may try: a statement runs inside a transaction that is rolled
//! back, unless it cannot run in one or changes the server in a way a
//! rollback does not undo. Those are printed and not run.
//!
//! Detection reads the statement's leading keywords (after comments and
//! whitespace) and the functions it calls, skipping string literals and
//! quoted identifiers.

/// Whether dry run may run a statement inside a rolled-back transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DryRunSafety {
    /// A rollback undoes it.
    Transactional,
    /// PostgreSQL refuses to run it in a transaction block (`ALTER SYSTEM`).
    NotInTransaction(String),
    /// It would commit or end the dry run's transaction (`COMMIT`).
    TransactionControl(String),
    /// It calls a function whose effect a rollback does not undo.
    NonTransactionalFunction(String),
}

impl DryRunSafety {
    /// Why dry run did not run the statement, for the operator.
    pub(crate) fn reason(&self) -> Option<String> {
        match self {
            DryRunSafety::Transactional => None,
            DryRunSafety::NotInTransaction(what) => Some(format!(
                "not run: {what} cannot run inside a transaction, so dry run cannot try it and roll it back"
            )),
            DryRunSafety::TransactionControl(what) => {
                Some(format!("not run: {what} would end the transaction dry run rolls back"))
            }
            DryRunSafety::NonTransactionalFunction(f) => {
                Some(format!("not run: {f}() acts immediately and a rollback would not undo it"))
            }
        }
    }
}

/// Classifies one SQL statement.
pub(crate) fn classify(sql: &str) -> DryRunSafety {
    let tokens = lex(sql);
    let words: Vec<&str> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let upper: Vec<String> = words
        .iter()
        .take(8)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let first = |n: usize| upper.iter().take(n).map(String::as_str).collect::<Vec<_>>();
    let has = |w: &str| upper.iter().any(|u| u == w);
    let not_in_tx = |what: &str| DryRunSafety::NotInTransaction(what.to_string());
    match first(2).as_slice() {
        ["ALTER", "SYSTEM"] => return not_in_tx("ALTER SYSTEM"),
        ["VACUUM", ..] => return not_in_tx("VACUUM"),
        ["CREATE" | "DROP", "DATABASE"] => return not_in_tx(&format!("{} DATABASE", upper[0])),
        ["ALTER", "DATABASE"] if has("SET") && has("TABLESPACE") => {
            return not_in_tx("ALTER DATABASE … SET TABLESPACE")
        }
        ["CREATE" | "DROP", "TABLESPACE"] => return not_in_tx(&format!("{} TABLESPACE", upper[0])),
        ["CREATE" | "ALTER" | "DROP", "SUBSCRIPTION"] => {
            return not_in_tx(&format!("{} SUBSCRIPTION", upper[0]))
        }
        ["CREATE" | "DROP", _] if has("INDEX") && has("CONCURRENTLY") => {
            return not_in_tx(&format!("{} INDEX CONCURRENTLY", upper[0]))
        }
        ["REINDEX", ..] if has("CONCURRENTLY") || has("DATABASE") || has("SYSTEM") => {
            return not_in_tx("this REINDEX")
        }
        ["CLUSTER"] | ["CLUSTER", "VERBOSE"] if upper.len() <= 2 => {
            return not_in_tx("CLUSTER without a table")
        }
        ["DISCARD", "ALL"] => return not_in_tx("DISCARD ALL"),
        ["BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT" | "RELEASE", ..]
        | ["PREPARE", "TRANSACTION"] => return DryRunSafety::TransactionControl(upper.join(" ")),
        _ => {}
    }
    tokens
        .windows(2)
        .find_map(|pair| match pair {
            [Token::Word(name), Token::Punct('(')]
                if NON_TRANSACTIONAL_FUNCTIONS.contains(&name.as_str()) =>
            {
                Some(DryRunSafety::NonTransactionalFunction(name.clone()))
            }
            _ => None,
        })
        .unwrap_or(DryRunSafety::Transactional)
}

/// Functions whose effect outlives a rollback.
const NON_TRANSACTIONAL_FUNCTIONS: &[&str] = &[
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_promote",
    "pg_create_restore_point",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_drop_replication_slot",
    "pg_replication_slot_advance",
    "pg_wal_replay_pause",
    "pg_wal_replay_resume",
    "pg_advisory_lock",
    "pg_try_advisory_lock",
    "pg_advisory_unlock",
    "pg_advisory_unlock_all",
    "pg_stat_reset",
    "pg_stat_reset_shared",
    "pg_stat_reset_single_table_counters",
    "pg_stat_reset_single_function_counters",
    "pg_stat_reset_slru",
    "pg_stat_reset_replication_slot",
    "pg_stat_statements_reset",
    "pg_log_backend_memory_contexts",
    "nextval",
    "setval",
    "dblink_exec",
    "dblink",
    "lo_export",
];

/// The statement on one line, shortened for messages.
pub(crate) fn preview(sql: &str) -> String {
    const MAX: usize = 160;
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        return flat;
    }
    let cut: String = flat.chars().take(MAX).collect();
    format!("{cut}…")
}

#[derive(Debug, PartialEq)]
enum Token {
    /// An unquoted identifier or keyword, lower-cased.
    Word(String),
    Punct(char),
}

/// Just enough of SQL's lexical structure to find keywords and calls:
/// comments, string literals (`'…'`, `E'…'`, `$tag$…$tag$`) and quoted
/// identifiers are skipped.
fn lex(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '-' if at(i + 1) == Some('-') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                // Block comments nest in PostgreSQL.
                let mut depth = 0;
                while let Some(c) = at(i) {
                    if c == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if c == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            '\'' | '"' => i = skip_quoted(&chars, i, c),
            '$' => {
                let tag_end = (i + 1..chars.len())
                    .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'));
                match tag_end {
                    Some(end) if chars[end] == '$' => {
                        let tag: String = chars[i..=end].iter().collect();
                        let body: String = chars[end + 1..].iter().collect();
                        i = match body.find(&tag) {
                            Some(pos) => {
                                end + 1 + body[..pos].chars().count() + tag.chars().count()
                            }
                            None => chars.len(),
                        };
                    }
                    // `$1`: a parameter.
                    _ => i = tag_end.unwrap_or(chars.len()),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while at(i).is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                    i += 1;
                }
                // E'…' / U&'…' string prefixes are words glued to a literal.
                if at(i) == Some('\'') {
                    i = skip_quoted(&chars, i, '\'');
                    continue;
                }
                tokens.push(Token::Word(
                    chars[start..i].iter().collect::<String>().to_lowercase(),
                ));
            }
            c => {
                tokens.push(Token::Punct(c));
                i += 1;
            }
        }
    }
    tokens
}

/// Index after the literal or identifier quoted by `quote` that starts at `i`
/// (a doubled quote stands for itself; backslashes may escape in `E'…'`).
fn skip_quoted(chars: &[char], mut i: usize, quote: char) -> usize {
    i += 1;
    while let Some(&c) = chars.get(i) {
        if c == '\\' && quote == '\'' {
            i += 2;
        } else if c == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    i
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn not_run(sql: &str) -> bool {
        classify(sql) != DryRunSafety::Transactional
    }

    #[test]
    fn statements_that_cannot_run_in_a_transaction() {
        for sql in [
            "ALTER SYSTEM SET max_connections = 400",
            "  -- raise it\n /* twice /* nested */ */ alter system reset all",
            "VACUUM (ANALYZE) orders",
            "vacuum",
            "CREATE DATABASE shop",
            "DROP DATABASE IF EXISTS shop",
            "CREATE UNIQUE INDEX CONCURRENTLY i ON t (x)",
            "DROP INDEX CONCURRENTLY i",
            "REINDEX TABLE CONCURRENTLY t",
            "REINDEX DATABASE shop",
            "CREATE TABLESPACE fast LOCATION '/ssd'",
            "ALTER DATABASE shop SET TABLESPACE fast",
            "CLUSTER",
            "COMMIT",
            "COMMIT PREPARED 'x'",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
            "select nextval ('s')",
            "SELECT pg_catalog.pg_reload_conf()",
        ] {
            assert!(not_run(sql), "{sql}");
        }
    }

    #[test]
    fn statements_a_rollback_undoes() {
        for sql in [
            "UPDATE t SET x = 1",
            "ALTER DATABASE shop SET work_mem = '64MB'",
            "CREATE INDEX i ON t (x)",
            "REINDEX TABLE t",
            "CLUSTER t USING i",
            "INSERT INTO log VALUES ('VACUUM', 'pg_terminate_backend(1)')",
            "SELECT $1::int + 1",
            "SELECT $fn$ nextval('s') $fn$",
            "INSERT INTO t VALUES (E'it\\'s nextval(')",
            "UPDATE \"vacuum\" SET \"nextval\" = 1",
        ] {
            assert_eq!(classify(sql), DryRunSafety::Transactional, "{sql}");
        }
    }

    #[test]
    fn reasons_name_the_statement() {
        let reason = classify("alter system set x = 1").reason().unwrap();
        assert!(
            reason.contains("ALTER SYSTEM cannot run inside a transaction"),
            "{reason}"
        );
        assert!(preview("SELECT\n   1,\n  2").eq("SELECT 1, 2"));
    }
}
