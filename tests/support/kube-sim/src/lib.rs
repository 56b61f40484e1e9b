//! A Kubernetes API simulator over real HTTP, for runbook's tests (issue 4).
//!
//! [`KubeSim::start`] serves the Kubernetes API on `127.0.0.1` from its own
//! thread and tokio runtime, so sync tests, async tests and separate
//! processes (the `runbook` binary, real `kubectl`) can all talk to it
//! through the generated kubeconfig. It speaks the real protocol: discovery,
//! get/list/watch/create/update/patch (merge, JSON, strategic, server-side
//! apply)/delete, `dryRun=All`, the `scale` and `status` subresources, pod
//! logs and `kind: Status` errors. A background controller runs
//! deployments, statefulsets, replicasets, pods and HPA statuses; faults
//! ([`Faults`]) and a request log ([`RequestRecord`]) let tests provoke and
//! observe failures.
//!
//! Simplifications, chosen because no client in this project observes
//! them: server-side apply merges the applied configuration with strategic
//! merge semantics and keeps no `managedFields` (so it never reports field
//! conflicts); `limit`/`continue` are ignored (lists are complete); HPAs
//! report status but never rescale; deletions are immediate (no graceful
//! termination or finalizers).
//!
//! Why not `kube-fake-client` as the store: it is an in-process tower
//! service without an HTTP listener, watch or dryRun, and the rest (watch
//! history, dry run, strategic merge, scale, the controller) is most of the
//! work anyway; the store here is one ordered map plus an event history.

mod api;
mod api_error;
mod catalog;
mod controller;
mod error;
mod faults;
mod http;
mod kinds;
mod kubeconfig;
mod objects;
mod patch;
mod pod_log;
mod request_log;
mod router;
mod seed;
mod selector;
mod sim;
mod state;
mod store;

pub use api::discovery::GIT_VERSION;
pub use api_error::ApiError;
pub use catalog::{Catalog, ResourceType};
pub use controller::RESTARTS_ANNOTATION;
pub use error::SimError;
pub use faults::{FaultRule, Faults};
pub use kubeconfig::kubeconfig_yaml;
pub use patch::{apply_json_patch, merge_patch, strategic_merge, PatchType};
pub use pod_log::{expand_env, LogQuery, LOG_ANNOTATION};
pub use request_log::RequestRecord;
pub use selector::{FieldSelector, LabelSelector};
pub use sim::{deployment_rollout_complete, KubeSim, KubeSimBuilder};
