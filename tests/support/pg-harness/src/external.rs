//! Reading `RUNBOOK_TEST_DATABASE_URL`.

use tokio_postgres::config::Host;

use crate::HarnessError;

/// What the harness needs to know of an external server.
pub(crate) struct ExternalServer {
    pub config: tokio_postgres::Config,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
}

/// Parses the URL (or `key=value` string) and checks it names one TCP host.
pub(crate) fn server_from_url(url: &str) -> Result<ExternalServer, HarnessError> {
    let config: tokio_postgres::Config =
        url.parse()
            .map_err(|e: tokio_postgres::Error| HarnessError::BadUrl {
                message: e.to_string(),
            })?;
    let host = match config.get_hosts() {
        [Host::Tcp(host)] => host.clone(),
        [Host::Unix(path)] => path.display().to_string(),
        [] => "localhost".to_string(),
        _ => {
            return Err(HarnessError::BadUrl {
                message: "name exactly one host".into(),
            })
        }
    };
    let user = config
        .get_user()
        .map(str::to_string)
        .ok_or_else(|| HarnessError::BadUrl {
            message: "name the user (postgres://USER:password@host/db)".into(),
        })?;
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok(ExternalServer {
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        dbname: config.get_dbname().unwrap_or(&user).to_string(),
        user,
        password,
        config,
    })
}
