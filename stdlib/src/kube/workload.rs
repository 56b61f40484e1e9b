//! What a Deployment or StatefulSet handle can do: read it, scale it, wait
//! for its rollout, restart it, read and set its environment, read its logs.

use std::sync::Arc;

use rhai::{Dynamic, EvalAltResult, Map, INT};
use serde_json::{json, Value};

use super::client::KubeState;
use super::dry_run::report;
use super::env::{self, EnvValue};
use super::errors::{bad_argument, code, Failure};
use super::handles::Pods;
use super::kinds::{self, Kind};
use super::logs;
use super::pods::selector_string;
use super::requests::{self, PatchBody};
use super::retry::{retrying, Mode};
use super::rollout::{self, Rollout};
use super::values::{int_at, to_rhai};
use crate::ActionError;

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

/// The annotation `kubectl rollout restart` sets on the pod template.
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// A workload (Deployment or StatefulSet) by kind, namespace and name.
#[derive(Clone)]
pub(crate) struct Workload {
    pub state: Arc<KubeState>,
    pub kind: Kind,
    pub ns: String,
    pub name: String,
}

impl Workload {
    pub fn new(state: Arc<KubeState>, kind: Kind, ns: &str, name: &str) -> Self {
        Workload {
            state,
            kind,
            ns: ns.to_owned(),
            name: name.to_owned(),
        }
    }

    /// `deployment/flowengine`
    fn label(&self) -> String {
        format!("{}/{}", self.kind.label(), self.name)
    }

    /// The action name events are reported under, e.g. `Deployment.scale`.
    fn action(&self, method: &str) -> String {
        format!("{}.{method}", self.kind.ar.kind)
    }

    fn fetch(&self) -> Result<Value> {
        self.state
            .run(async |c| requests::get(c, &self.kind, &self.ns, &self.name).await)
    }

    /// The whole object as a map.
    pub fn get(&self) -> Result<Dynamic> {
        to_rhai(&self.fetch()?)
    }

    /// `spec.replicas` (1 when unset, the API's default).
    pub fn replicas(&self) -> Result<INT> {
        Ok(int_at(&self.fetch()?, "/spec/replicas").unwrap_or(1))
    }

    /// Set the replica count through the `scale` subresource.
    pub fn scale(&self, replicas: INT) -> Result<()> {
        if replicas < 0 {
            return Err(bad_argument(
                format!("cannot scale {} to {replicas} replicas", self.label()),
                "the replica count must be 0 or more",
            )
            .into_rhai());
        }
        let ctx = &self.state.ctx;
        let before = self.state.run(async |c| {
            retrying(Mode::Write, async || {
                let object = requests::get(c, &self.kind, &self.ns, &self.name).await?;
                requests::patch_scale(c, ctx, &self.kind, &self.ns, &self.name, replicas).await?;
                Ok(int_at(&object, "/spec/replicas").unwrap_or(1))
            })
            .await
        })?;
        report(
            ctx,
            &self.action("scale"),
            &format!("{}: replicas {before} → {replicas}", self.label()),
        );
        Ok(())
    }

    fn rollout(&self) -> Result<Rollout> {
        let object = self.fetch()?;
        Ok(if self.kind == kinds::statefulsets() {
            rollout::statefulset(&object)
        } else {
            rollout::deployment(&object)
        })
    }

    /// `true` when `kubectl rollout status` would report success; an error
    /// when it would give up (progress deadline exceeded).
    pub fn rollout_complete(&self) -> Result<bool> {
        match self.rollout()? {
            Rollout::Done(_) => Ok(true),
            Rollout::Waiting(_) => Ok(false),
            Rollout::Failed(m) => Err(ActionError::new(
                code::ROLLOUT_FAILED,
                format!("{} in {}: {m}", self.label(), self.ns),
            )
            .with_help(format!(
                "see why with `kubectl describe {} -n {}`",
                self.label(),
                self.ns
            ))
            .into_rhai()),
        }
    }

    /// `kubectl rollout status`'s message, e.g. "Waiting for deployment
    /// \"x\" rollout to finish: 2 of 5 updated replicas are available...".
    pub fn rollout_status(&self) -> Result<String> {
        Ok(self.rollout()?.message().to_owned())
    }

    /// Restart every pod through a rollout (`kubectl rollout restart`).
    pub fn restart(&self) -> Result<()> {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let body = PatchBody::Merge(json!({
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}
        }));
        let ctx = &self.state.ctx;
        self.state.run(async |c| {
            retrying(Mode::Write, async || {
                requests::patch(c, ctx, &self.kind, &self.ns, &self.name, &body).await
            })
            .await
        })?;
        report(
            ctx,
            &self.action("restart"),
            &format!("{}: rollout restart ({RESTARTED_AT}={now})", self.label()),
        );
        Ok(())
    }

    /// The value of `name` in the first (or the named) container; `()` when
    /// unset or set from a secret/config map (`valueFrom` is not resolved).
    pub fn env(&self, name: &str, container: Option<&str>) -> Result<Dynamic> {
        let object = self.fetch()?;
        let c =
            env::container(&object, container, &self.label()).map_err(ActionError::into_rhai)?;
        Ok(match env::lookup(c, name) {
            Some(EnvValue::Literal(v)) => v.into(),
            Some(EnvValue::From) | None => Dynamic::UNIT,
        })
    }

    pub fn set_env_one(&self, name: &str, value: Dynamic, container: Option<&str>) -> Result<()> {
        let value = env_text(name, &value).map_err(ActionError::into_rhai)?;
        self.set_env(vec![(name.to_owned(), value)], container)
    }

    pub fn set_env_map(&self, vars: Map, container: Option<&str>) -> Result<()> {
        let vars = vars
            .iter()
            .map(|(k, v)| Ok((k.to_string(), env_text(k, v)?)))
            .collect::<std::result::Result<Vec<_>, ActionError>>()
            .map_err(ActionError::into_rhai)?;
        self.set_env(vars, container)
    }

    /// Set variables in one container (the first unless named) with a
    /// strategic merge patch, like `kubectl set env -c`. Unchanged values
    /// send nothing; a conflicting writer makes it re-read and retry.
    fn set_env(&self, vars: Vec<(String, Option<String>)>, container: Option<&str>) -> Result<()> {
        let ctx = &self.state.ctx;
        let label = self.label();
        let changes = self.state.run(async |c| {
            retrying(Mode::Write, async || {
                let object = requests::get(c, &self.kind, &self.ns, &self.name).await?;
                let target = env::container(&object, container, &label)?;
                let target_name = target
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let changes = env::plan(target, &vars);
                if !changes.is_empty() {
                    let body = PatchBody::Strategic(env::patch(&target_name, &changes));
                    requests::patch(c, ctx, &self.kind, &self.ns, &self.name, &body).await?;
                }
                Ok::<_, Failure>(changes)
            })
            .await
        })?;
        if changes.is_empty() {
            if ctx.dry_run {
                let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
                ctx.events.dry_run_effect(
                    &self.action("set_env"),
                    &format!("{label}: env {} already set, no change", names.join(", ")),
                );
            }
            return Ok(());
        }
        let described: Vec<String> = changes.iter().map(env::EnvChange::describe).collect();
        report(
            ctx,
            &self.action("set_env"),
            &format!("{label}: env {}", described.join(", ")),
        );
        Ok(())
    }

    /// The pod selector of the workload, as a label selector string.
    fn selector(&self, object: &Value) -> std::result::Result<String, ActionError> {
        object
            .pointer("/spec/selector")
            .map(selector_string)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ActionError::new(
                    code::REQUEST_FAILED,
                    format!("{} has no pod selector", self.label()),
                )
            })
    }

    /// The workload's pods, by its selector.
    pub fn pods(&self) -> Result<Pods> {
        let object = self.fetch()?;
        let selector = self.selector(&object).map_err(ActionError::into_rhai)?;
        Ok(Pods {
            state: self.state.clone(),
            ns: self.ns.clone(),
            selector,
        })
    }

    /// Logs of every started pod of the workload, in pod name order (unlike
    /// `kubectl logs deployment/x`, which shows one pod). Options: `tail`
    /// (lines per pod), `since` (seconds or "5m"), `container`.
    pub fn logs(&self, options: Map) -> Result<String> {
        let options = logs::Options::from_map(&options).map_err(ActionError::into_rhai)?;
        self.state.run(async |c| {
            let object = requests::get(c, &self.kind, &self.ns, &self.name).await?;
            let selector = self.selector(&object)?;
            let pods = requests::list(c, &kinds::pods(), Some(&self.ns), Some(&selector)).await?;
            logs::collect(c, &self.ns, pods, &options).await
        })
    }
}

/// An env value as text: strings as they are, numbers and booleans
/// printed; `()` means "unset it".
fn env_text(name: &str, value: &Dynamic) -> std::result::Result<Option<String>, ActionError> {
    if value.is_unit() {
        Ok(None)
    } else if value.is_string()
        || value.is_int()
        || value.is_float()
        || value.is_bool()
        || value.is_char()
        || value.is_decimal()
    {
        Ok(Some(value.to_string()))
    } else {
        Err(bad_argument(
            format!(
                "the value for env var {name} is a {}, not text",
                value.type_name()
            ),
            "give a string or a number, e.g. set_env(\"DB_POOL_SIZE\", 200), or () to unset it",
        ))
    }
}
