//! Watch: a chunked stream of `{"type", "object"}` JSON lines, replayed from
//! a resourceVersion (or starting with ADDED for everything that exists),
//! ending after `timeoutSeconds`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::api::table;
use crate::api_error::ApiError;
use crate::catalog::ResourceType;
use crate::http::{Reply, Request};
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::State;
use crate::store::{EventType, StoreEvent};

struct Filter {
    rt: ResourceType,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    /// `Some(includeObject)` when the client asked for Table rows
    /// (`kubectl get -w`).
    table: Option<Option<String>>,
}

impl Filter {
    fn accepts(&self, event: &StoreEvent) -> bool {
        event.key.group == self.rt.group
            && event.key.plural == self.rt.plural
            && self
                .namespace
                .as_ref()
                .is_none_or(|ns| *ns == event.key.namespace)
            && self.labels.matches(&event.object["metadata"]["labels"])
            && self.fields.matches(&event.object)
    }
}

struct WatchStream {
    pending: VecDeque<Value>,
    receiver: broadcast::Receiver<Arc<StoreEvent>>,
    last_sent: u64,
    deadline: Option<Instant>,
    filter: Filter,
}

impl Filter {
    /// The JSON line of one event, the object as a one-row Table when asked.
    fn line(&self, event_type: &str, object: &Value) -> Value {
        match &self.table {
            Some(include_object) => {
                let rv = object["metadata"]["resourceVersion"]
                    .as_str()
                    .and_then(|rv| rv.parse().ok())
                    .unwrap_or_default();
                let table = table::render(
                    &self.rt,
                    std::slice::from_ref(object),
                    rv,
                    include_object.as_deref(),
                );
                json!({"type": event_type, "object": table})
            }
            None => json!({"type": event_type, "object": object}),
        }
    }
}

impl WatchStream {
    /// The next event line, or `None` when the watch is over (timeout, or
    /// the subscriber fell too far behind: clients then list again).
    async fn next_line(&mut self) -> Option<Value> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                return Some(line);
            }
            let received = match self.deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, self.receiver.recv())
                    .await
                    .ok()?,
                None => self.receiver.recv().await,
            };
            let event = received.ok()?;
            if event.resource_version <= self.last_sent || !self.filter.accepts(&event) {
                continue;
            }
            self.last_sent = event.resource_version;
            return Some(self.filter.line(event.event_type.as_str(), &event.object));
        }
    }
}

pub(crate) fn start(
    state: &State,
    request: &Request,
    rt: ResourceType,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
) -> Result<Reply, ApiError> {
    let from = request.param("resourceVersion").unwrap_or_default();
    let filter = Filter {
        rt,
        namespace,
        labels,
        fields,
        table: table::wanted(request).then(|| request.param("includeObject").map(str::to_string)),
    };
    let store = state.store();
    let (pending, receiver, last_sent) = if from.is_empty() || from == "0" {
        // "Start at most recent": synthetic ADDED for what exists now.
        let current = store.resource_version();
        let (_, receiver) = store.subscribe_after(current);
        let pending: VecDeque<Value> = store
            .list(
                &filter.rt.group,
                &filter.rt.plural,
                filter.namespace.as_deref(),
            )
            .map(|(_, object)| object)
            .filter(|object| {
                filter.labels.matches(&object["metadata"]["labels"])
                    && filter.fields.matches(object)
            })
            .map(|object| filter.line(EventType::Added.as_str(), object))
            .collect();
        (pending, receiver, current)
    } else {
        let from: u64 = from
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {from:?}")))?;
        if from < store.oldest_watchable() {
            return Err(ApiError::gone(format!(
                "too old resource version: {from} ({})",
                store.oldest_watchable()
            )));
        }
        let (past, receiver) = store.subscribe_after(from);
        let pending = past
            .iter()
            .filter(|e| filter.accepts(e))
            .map(|e| filter.line(e.event_type.as_str(), &e.object))
            .collect();
        let last = past.last().map_or(from, |e| e.resource_version);
        (pending, receiver, last)
    };
    drop(store);
    let deadline = request
        .param("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let watch = WatchStream {
        pending,
        receiver,
        last_sent,
        deadline,
        filter,
    };
    let stream = futures::stream::unfold(watch, |mut watch| async move {
        let line = watch.next_line().await?;
        let frame = Frame::data(Bytes::from(format!("{line}\n")));
        Some((Ok::<_, Infallible>(frame), watch))
    });
    Ok(Reply::Stream(StreamBody::new(stream).boxed_unsync()))
}
