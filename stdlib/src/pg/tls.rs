//! rustls connectors for each [`TlsMode`].

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::url::{Roots, TlsMode};
use crate::ActionError;

/// The connector for `mode` (also used for cancel requests, which open a
/// new connection with the same settings).
pub(crate) fn connector(mode: &TlsMode) -> Result<MakeRustlsConnect, ActionError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_setup(&e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        // With `disable` the connector is never asked for a handshake.
        TlsMode::Disable | TlsMode::Encrypt => Arc::new(Relaxed {
            provider,
            chain: None,
        }),
        TlsMode::VerifyFull(roots) => webpki(roots, provider)?,
        TlsMode::VerifyCa(roots) => Arc::new(Relaxed {
            chain: Some(webpki(roots, provider.clone())?),
            provider,
        }),
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn webpki(
    roots: &Roots,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, ActionError> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::Public => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    ActionError::new(
                        "runbook::run::pg::tls",
                        format!("cannot read sslrootcert {}: {e}", path.display()),
                    )
                    .with_help(
                        "point sslrootcert at a PEM file with the CA certificate(s) of the server",
                    )
                })?;
            let (added, _ignored) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(tls_setup(&format!(
                    "no usable CA certificate in {}",
                    path.display()
                )));
            }
        }
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
        .build()
        .map_err(|e| tls_setup(&e.to_string()))
}

fn tls_setup(message: &str) -> ActionError {
    ActionError::new(
        "runbook::run::pg::tls",
        format!("cannot set up TLS: {message}"),
    )
}

/// The verifier for the modes that relax libpq's full check while still
/// checking handshake signatures: `sslmode=require`/`prefer` accept any
/// certificate (`chain: None`), `sslmode=verify-ca` runs the full chain check
/// minus the host name (`chain: Some`).
#[derive(Debug)]
struct Relaxed {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    // The chain verifier is built from the same provider, so checking
    // signatures against the provider's algorithms is what it would do too.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
