//! The harness provides isolated databases on a password-protected server.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

use tokio_postgres::NoTls;

fn query_text(url: &str, sql: &str) -> Result<String, tokio_postgres::Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(conn);
        client.query_one(sql, &[]).await?.try_get::<_, String>(0)
    })
}

#[test]
fn each_test_gets_its_own_empty_database() {
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| pg_harness::database("parallel").unwrap()))
        .collect();
    let dbs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut names: Vec<_> = dbs.iter().map(|d| d.name().to_string()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 4, "databases must be distinct: {names:?}");

    let db = &dbs[0];
    db.batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)")
        .unwrap();
    assert_eq!(
        db.query_column("SELECT count(*)::text FROM t").unwrap(),
        [Some("2".to_string())]
    );
    assert_eq!(
        query_text(&db.url(), "SELECT current_database()::text").unwrap(),
        db.name(),
    );
    let other = &dbs[1];
    let err = other
        .query_column("SELECT count(*)::text FROM t")
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn throwaway_server_requires_the_password() {
    let db = pg_harness::database("auth").unwrap();
    let server = db.server();
    if !server.is_throwaway() {
        return;
    }
    let password = server.password().unwrap();
    assert!(
        password.contains('@') && password.contains('/'),
        "password exercises URL encoding"
    );
    let wrong = format!(
        "postgres://{}:wrong@{}:{}/{}",
        server.user(),
        server.host(),
        server.port(),
        db.name()
    );
    let err = query_text(&wrong, "SELECT 'x'").unwrap_err();
    let text = err
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap_or_default();
    assert!(text.contains("password authentication failed"), "{err:?}");
}

#[test]
fn throwaway_server_speaks_tls() {
    let db = pg_harness::database("tls").unwrap();
    let server = db.server();
    if !server.is_throwaway() {
        return;
    }
    let files = server.tls().unwrap();
    assert!(files.ca_cert.is_file());
    let ssl = db.query_column("SELECT current_setting('ssl')").unwrap();
    assert_eq!(ssl, [Some("on".to_string())]);
}

#[test]
fn a_private_server_is_a_different_server() {
    let shared = pg_harness::server().unwrap();
    let private = pg_harness::private_server().unwrap();
    if !shared.is_throwaway() {
        return; // Both are the external server.
    }
    assert_ne!(shared.port(), private.port());
    let db = pg_harness::private_database("private").unwrap();
    // ALTER SYSTEM refuses to run in the implicit transaction of a batch.
    db.batch_execute("ALTER SYSTEM SET work_mem = '77MB'")
        .unwrap();
    db.batch_execute("SELECT pg_reload_conf()").unwrap();
    let on_shared = pg_harness::database("not_private").unwrap();
    let setting =
        "SELECT count(*)::text FROM pg_file_settings WHERE name = 'work_mem' AND setting = '77MB'";
    assert_eq!(db.query_column(setting).unwrap(), [Some("1".to_string())]);
    assert_eq!(
        on_shared.query_column(setting).unwrap(),
        [Some("0".to_string())]
    );
}

#[test]
fn a_test_database_is_dropped_with_its_handle() {
    let db = pg_harness::database("dropped").unwrap();
    if !db.server().is_throwaway() {
        return;
    }
    let name = db.name().to_string();
    let witness = pg_harness::database("witness").unwrap();
    let exists = format!("SELECT count(*)::text FROM pg_database WHERE datname = '{name}'");
    assert_eq!(
        witness.query_column(&exists).unwrap(),
        [Some("1".to_string())]
    );
    drop(db);
    assert_eq!(
        witness.query_column(&exists).unwrap(),
        [Some("0".to_string())]
    );
}
