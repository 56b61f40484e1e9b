//! Errors of the simulator's Rust API (seeding, starting).

use crate::api_error::ApiError;

/// A failed call on [`crate::KubeSim`].
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The API refused the object (validation, conflict, unknown namespace…).
    #[error("the simulated API server refused the object: {0}")]
    Api(#[from] ApiError),
    /// A YAML document did not parse.
    #[error("invalid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// An object lacks `apiVersion`, `kind` or `metadata.name`, or names a
    /// kind the simulator does not serve.
    #[error("{0}")]
    Object(String),
    /// Reading a seed file or writing the kubeconfig failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
