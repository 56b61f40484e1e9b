//! The in-memory object store: objects by resource, namespace and name, one
//! global resourceVersion counter, and the event history watches replay from.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use crate::catalog::ResourceType;

/// How many past events a watch can resume from; older resourceVersions get
/// 410 Gone, as on a real server after compaction.
const HISTORY_LIMIT: usize = 20_000;

/// Where an object lives: resource (group + plural), namespace ("" when
/// cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// API group of the resource.
    pub group: String,
    /// URL plural of the resource.
    pub plural: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl ObjectKey {
    /// The key of `name` in `namespace` for resource type `rt`.
    pub fn new(rt: &ResourceType, namespace: &str, name: &str) -> Self {
        ObjectKey {
            group: rt.group.clone(),
            plural: rt.plural.clone(),
            namespace: if rt.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }
}

/// Watch event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The object was created.
    Added,
    /// The object changed.
    Modified,
    /// The object was removed (the event carries its last state).
    Deleted,
}

impl EventType {
    /// The wire name (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change to the store.
#[derive(Debug, Clone)]
pub struct StoreEvent {
    /// The resourceVersion the change produced.
    pub resource_version: u64,
    /// What happened.
    pub event_type: EventType,
    /// Which object.
    pub key: ObjectKey,
    /// The object after the change (before it, for deletions, with the new
    /// resourceVersion).
    pub object: Value,
}

/// Objects plus the change history.
#[derive(Debug)]
pub struct Store {
    objects: BTreeMap<ObjectKey, Value>,
    resource_version: u64,
    history: VecDeque<Arc<StoreEvent>>,
    events: broadcast::Sender<Arc<StoreEvent>>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(4096);
        Store {
            objects: BTreeMap::new(),
            resource_version: 1000,
            history: VecDeque::new(),
            events,
        }
    }

    /// The latest resourceVersion handed out.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// The oldest resourceVersion a watch can start after.
    pub fn oldest_watchable(&self) -> u64 {
        self.history
            .front()
            .map(|e| e.resource_version - 1)
            .unwrap_or(self.resource_version)
    }

    /// The stored object at `key`.
    pub fn get(&self, key: &ObjectKey) -> Option<&Value> {
        self.objects.get(key)
    }

    /// Objects of one resource, in one namespace or (with `None`) all.
    pub fn list<'a>(
        &'a self,
        group: &'a str,
        plural: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Value)> + 'a {
        self.objects.iter().filter(move |(k, _)| {
            k.group == group && k.plural == plural && namespace.is_none_or(|ns| k.namespace == ns)
        })
    }

    /// Stores `object` at `key`, stamping a new resourceVersion; returns the
    /// stored object.
    pub fn put(&mut self, key: ObjectKey, mut object: Value) -> Value {
        self.resource_version += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.resource_version.to_string());
        let event_type = if self.objects.contains_key(&key) {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.objects.insert(key.clone(), object.clone());
        self.record(event_type, key, object.clone());
        object
    }

    /// Removes the object at `key`; returns its last state.
    pub fn remove(&mut self, key: &ObjectKey) -> Option<Value> {
        let mut object = self.objects.remove(key)?;
        self.resource_version += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.resource_version.to_string());
        self.record(EventType::Deleted, key.clone(), object.clone());
        Some(object)
    }

    fn record(&mut self, event_type: EventType, key: ObjectKey, object: Value) {
        let event = Arc::new(StoreEvent {
            resource_version: self.resource_version,
            event_type,
            key,
            object,
        });
        self.history.push_back(event.clone());
        if self.history.len() > HISTORY_LIMIT {
            self.history.pop_front();
        }
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    /// Events after `resource_version`, plus a receiver for later ones
    /// (taken under the same lock, so nothing falls in between).
    pub fn subscribe_after(
        &self,
        resource_version: u64,
    ) -> (Vec<Arc<StoreEvent>>, broadcast::Receiver<Arc<StoreEvent>>) {
        let past = self
            .history
            .iter()
            .filter(|e| e.resource_version > resource_version)
            .cloned()
            .collect();
        (past, self.events.subscribe())
    }
}
