//! Seed, "Validate database capacity": raising max_connections with
//! `ALTER SYSTEM` leaves a restart pending, which pg_settings shows. On a
//! private server, because ALTER SYSTEM changes the whole server.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use pg_support::Pg;

#[test]
fn alter_system_then_pending_restart() {
    let mut pg = Pg::private("seed_alter_system");
    if !pg.db.server().is_throwaway() {
        eprintln!("skipped: ALTER SYSTEM would change the shared server named by RUNBOOK_TEST_DATABASE_URL");
        return;
    }
    let before = pg
        .ok("db.setting(\"max_connections\")")
        .into_string()
        .unwrap();
    assert_ne!(before, "400");
    assert_eq!(
        pg.ok("db.execute(\"ALTER SYSTEM SET max_connections = 400\")")
            .as_int(),
        Ok(0)
    );
    pg.run("db.scalar(\"SELECT pg_reload_conf()\")");
    // The reload is asynchronous: poll until the postmaster has re-read it.
    let mut pending = false;
    pg_support::eventually(
        std::time::Duration::from_secs(30),
        "pending_restart after reload",
        || {
            pending = pg
            .ok("db.scalar(\"SELECT pending_restart FROM pg_settings WHERE name = 'max_connections'\")")
            .as_bool()
            .unwrap();
            pending
        },
    );
    assert!(pending);
    assert_eq!(
        pg.ok("db.setting(\"max_connections\")")
            .into_string()
            .unwrap(),
        before,
        "until the restart"
    );
    let effects = pg.sink.effects();
    assert!(
        effects[0].starts_with("pg.execute: ALTER SYSTEM SET max_connections = 400 on "),
        "{effects:?}"
    );

    pg.run("db.execute(\"ALTER SYSTEM RESET max_connections\")");
    pg.run("db.scalar(\"SELECT pg_reload_conf()\")");
    pg_support::eventually(
        std::time::Duration::from_secs(30),
        "the reset to be reloaded",
        || {
            !pg.ok("db.scalar(\"SELECT pending_restart FROM pg_settings WHERE name = 'max_connections'\")")
            .as_bool()
            .unwrap()
        },
    );
}
