//! The connection to the cluster: which kubeconfig, which context, which
//! server, and the `kube::Client` built from them once per run (lazily, so a
//! runbook that never touches Kubernetes needs no kubeconfig).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use rhai::EvalAltResult;

use super::errors::{code, explain, interrupted, Failure};
use super::kinds::{Kind, KindTable};
use crate::{ActionContext, ActionError, KubeOptions};

/// A request that gets no bytes back for this long fails as a timeout even
/// when the step has no deadline (a stalled server must not hang a run).
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the connection's settings came from, for error messages.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    /// The API server URL, e.g. `https://10.0.0.1:6443`.
    pub server: String,
    /// The kubeconfig path, or `KUBECONFIG=a:b` when merged from several.
    pub kubeconfig: String,
    /// The context used.
    pub context: String,
    /// The context's namespace (`default` when it sets none).
    pub namespace: String,
}

/// A client and what is known about the server behind it.
pub(crate) struct Connection {
    pub client: kube::Client,
    pub origin: Origin,
    kinds: tokio::sync::OnceCell<KindTable>,
}

impl Connection {
    /// Resolve a kind name (`deploy`, `hpa`, `configmaps`) through discovery,
    /// which runs once per connection.
    pub async fn kind(&self, name: &str) -> Result<Kind, Failure> {
        Ok(self.kinds().await?.resolve(name)?)
    }

    /// The discovery table, read on first use.
    pub async fn kinds(&self) -> Result<&KindTable, Failure> {
        self.kinds
            .get_or_try_init(|| KindTable::discover(&self.client))
            .await
            .map_err(|error| {
                Failure::kube(
                    error,
                    super::errors::Target::new("get", &discovery_kind(), None, None),
                )
            })
    }
}

/// A stand-in kind for errors while reading discovery documents.
fn discovery_kind() -> Kind {
    Kind {
        ar: kube::api::ApiResource {
            group: String::new(),
            version: String::new(),
            api_version: String::new(),
            kind: "APIResourceList".into(),
            plural: "API discovery documents".into(),
        },
        namespaced: false,
        singular: "apiresourcelist".into(),
        short_names: Vec::new(),
    }
}

/// The `kube` module's share of a run: the context and the lazily built
/// connection, shared by every function and handle.
pub(crate) struct KubeState {
    pub ctx: Arc<ActionContext>,
    conn: Mutex<Option<Arc<Connection>>>,
}

impl KubeState {
    pub fn new(ctx: Arc<ActionContext>) -> Self {
        KubeState {
            ctx,
            conn: Mutex::new(None),
        }
    }

    /// The run's connection, built on first use. A failure is not cached:
    /// fixing the kubeconfig and resuming works.
    fn connection(&self) -> Result<Arc<Connection>, ActionError> {
        if let Some(c) = self.conn.lock().ok().and_then(|g| g.clone()) {
            return Ok(c);
        }
        let (kubeconfig, source) = locate(&self.ctx.kube)?;
        let context = self.ctx.kube.context.clone();
        let built = self
            .ctx
            .block_on(connect(kubeconfig, source, context))
            .map_err(|why| interrupted(why, None))??;
        let built = Arc::new(built);
        if let Ok(mut slot) = self.conn.lock() {
            *slot = Some(built.clone());
        }
        Ok(built)
    }

    /// The namespace of the kubeconfig's context (`kube::namespace()`);
    /// reads the kubeconfig, sends no request.
    pub fn namespace(&self) -> Result<String, Box<EvalAltResult>> {
        Ok(self
            .connection()
            .map_err(ActionError::into_rhai)?
            .origin
            .namespace
            .clone())
    }

    /// Run one action against the cluster from the Rhai thread: connect if
    /// needed, run `op` under the step's deadline and cancellation, and turn
    /// any failure into the Rhai error the interpreter reports.
    pub fn run<T>(
        &self,
        op: impl AsyncFnOnce(&Connection) -> Result<T, Failure>,
    ) -> Result<T, Box<EvalAltResult>> {
        let conn = self.connection().map_err(ActionError::into_rhai)?;
        let outcome = self.ctx.block_on(async {
            match op(&conn).await {
                Ok(v) => Ok(v),
                Err(f) => Err(explain(&conn, f).await),
            }
        });
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.into_rhai()),
            Err(why) => Err(interrupted(why, Some(&conn.origin)).into_rhai()),
        }
    }
}

/// Find the kubeconfig the way `kubectl` does: `--kubeconfig`, else every
/// file in `KUBECONFIG` merged, else `~/.kube/config`.
fn locate(options: &KubeOptions) -> Result<(Kubeconfig, String), ActionError> {
    if let Some(path) = &options.kubeconfig {
        return Ok((read(path)?, path.display().to_string()));
    }
    if let Some(var) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let mut merged: Option<Kubeconfig> = None;
        for path in std::env::split_paths(&var).filter(|p| p.exists()) {
            let next = read(&path)?;
            merged = Some(match merged {
                None => next,
                Some(m) => m
                    .merge(next)
                    .map_err(|e| bad_kubeconfig(&path.display().to_string(), &e))?,
            });
        }
        let described = format!("KUBECONFIG={}", var.to_string_lossy());
        return merged.map(|kc| (kc, described.clone())).ok_or_else(|| {
            ActionError::new(
                code::NO_KUBECONFIG,
                format!("no kubeconfig found: none of the files in {described} exist"),
            )
            .with_help("point KUBECONFIG at your cluster's kubeconfig, or pass --kubeconfig PATH")
        });
    }
    let default = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"));
    match default {
        Some(path) if path.exists() => Ok((read(&path)?, path.display().to_string())),
        _ => Err(ActionError::new(
            code::NO_KUBECONFIG,
            "no kubeconfig found: --kubeconfig was not given, KUBECONFIG is not set and ~/.kube/config does not exist",
        )
        .with_help("pass --kubeconfig PATH or set KUBECONFIG to the kubeconfig of the cluster this runbook is for")),
    }
}

fn read(path: &Path) -> Result<Kubeconfig, ActionError> {
    Kubeconfig::read_from(path).map_err(|e| match &e {
        KubeconfigError::ReadConfig(io, _) if io.kind() == std::io::ErrorKind::NotFound => {
            ActionError::new(
                code::NO_KUBECONFIG,
                format!("no kubeconfig at {}", path.display()),
            )
            .with_help("check the path given to --kubeconfig or in KUBECONFIG")
        }
        _ => bad_kubeconfig(&path.display().to_string(), &e),
    })
}

fn bad_kubeconfig(source: &str, e: &KubeconfigError) -> ActionError {
    ActionError::new(
        code::BAD_KUBECONFIG,
        format!("cannot use the kubeconfig {source}: {e}"),
    )
    .with_help("check it with `kubectl config view`")
}

async fn connect(
    kubeconfig: Kubeconfig,
    source: String,
    context: Option<String>,
) -> Result<Connection, ActionError> {
    let context_name = context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .unwrap_or_default();
    let known_contexts: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let options = KubeConfigOptions {
        context,
        cluster: None,
        user: None,
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| match e {
            KubeconfigError::LoadContext(_) | KubeconfigError::CurrentContextNotSet => {
                ActionError::new(
                    code::BAD_KUBECONFIG,
                    if context_name.is_empty() {
                        format!("{source} sets no current context")
                    } else {
                        format!("context `{context_name}` is not in {source}")
                    },
                )
                .with_help(format!(
                    "pass --context with one of: {}",
                    if known_contexts.is_empty() {
                        "(none defined)".to_owned()
                    } else {
                        known_contexts.join(", ")
                    }
                ))
            }
            other => bad_kubeconfig(&source, &other),
        })?;
    // Retries are ours (see `retry.rs`): bounded, and aware of which
    // requests are safe to repeat.
    config.default_retry = false;
    config.read_timeout = Some(READ_TIMEOUT);
    let origin = Origin {
        server: display_server(&config.cluster_url),
        kubeconfig: source,
        context: context_name,
        namespace: config.default_namespace.clone(),
    };
    let client = kube::Client::try_from(config).map_err(|e| {
        ActionError::new(
            code::REQUEST_FAILED,
            format!("cannot set up a client for {} (context `{}` from {}): {e}", origin.server, origin.context, origin.kubeconfig),
        )
        .with_help("check the cluster's certificate data and the user's credentials with `kubectl config view --minify`")
    })?;
    Ok(Connection {
        client,
        origin,
        kinds: tokio::sync::OnceCell::new(),
    })
}

/// The server URL for messages, without any `user:password@` part.
fn display_server(url: &http::Uri) -> String {
    let scheme = url.scheme_str().unwrap_or("https");
    let host = url.host().unwrap_or_default();
    let port = url.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{scheme}://{host}{port}{}",
        url.path().trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_never_show_credentials() {
        let url: http::Uri = "https://admin:hunter2@10.0.0.1:6443/"
            .parse()
            .unwrap_or_default();
        assert_eq!(display_server(&url), "https://10.0.0.1:6443");
        let url: http::Uri = "https://k8s.example.com/proxy/".parse().unwrap_or_default();
        assert_eq!(display_server(&url), "https://k8s.example.com/proxy");
    }
}
