//! A test certificate authority and server certificate, so TLS connections
//! (`sslmode=require`, `verify-full`) are exercised against the real server.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HarnessError;

/// The TLS material of a throwaway server.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate of the CA that signed the server certificate; pass it
    /// as `sslrootcert=` for `sslmode=verify-full`.
    pub ca_cert: PathBuf,
    /// The server certificate (valid for `localhost` and `127.0.0.1`).
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
}

/// Makes a CA and a server certificate in `dir` with the `openssl` command.
pub(crate) fn generate(dir: &Path) -> Result<TlsFiles, HarnessError> {
    let files = TlsFiles {
        ca_cert: dir.join("ca.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
    };
    let ca_key = dir.join("ca.key");
    let csr = dir.join("server.csr");
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| HarnessError::io(format!("writing {}", ext.display()), &e))?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        Command::new("openssl")
            .args(["req", "-x509"])
            .args(ec)
            .arg("-keyout")
            .arg(&ca_key)
            .arg("-out")
            .arg(&files.ca_cert)
            .args(["-days", "7", "-subj", "/CN=runbook test CA"])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
    )?;
    openssl(
        Command::new("openssl")
            .arg("req")
            .args(ec)
            .arg("-keyout")
            .arg(&files.server_key)
            .arg("-out")
            .arg(&csr)
            .args(["-subj", "/CN=localhost"]),
    )?;
    openssl(
        Command::new("openssl")
            .args(["x509", "-req", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(&files.ca_cert)
            .arg("-CAkey")
            .arg(&ca_key)
            .args(["-CAcreateserial", "-days", "7", "-out"])
            .arg(&files.server_cert)
            .arg("-extfile")
            .arg(&ext),
    )?;
    Ok(files)
}

fn openssl(command: &mut Command) -> Result<(), HarnessError> {
    let out = command
        .output()
        .map_err(|e| HarnessError::io("running `openssl` to make test certificates", &e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(HarnessError::Command {
        command: format!("{command:?}"),
        status: out.status.to_string(),
        output: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
