//! API semantics on top of the store: create, update, patch and delete with
//! uid, creationTimestamp, generation, resourceVersion preconditions,
//! defaulting, validation, status-subresource rules and dry run. The HTTP
//! layer, the seeding API and the controller all write through here.

use serde_json::{json, Value};

use crate::api_error::{success_status, ApiError};
use crate::catalog::{Catalog, ResourceType};
use crate::kinds::{apply_defaults, validate};
use crate::patch::PatchType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{ObjectKey, Store};

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource: everything except `status` when the type has a
    /// status subresource.
    Main,
    /// The `status` subresource: only `status`.
    Status,
    /// Everything (the controller's and the seeding API's internal writes).
    Whole,
}

/// Options of a write request.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `dryRun=All`: validate and answer, never store.
    pub dry_run: bool,
}

/// The current time as the API server formats timestamps.
pub fn now_timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The store seen through the API's rules.
pub struct ObjectApi<'a> {
    /// The objects.
    pub store: &'a mut Store,
    /// The served types.
    pub catalog: &'a Catalog,
}

fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// Everything but `metadata` and `status`: a change there bumps generation.
fn desired_state(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(map) = rest.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    rest
}

impl ObjectApi<'_> {
    /// The object, or 404.
    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.store
            .get(&ObjectKey::new(rt, namespace, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// Objects of a type in one namespace (or all), filtered by selectors.
    pub fn list(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Vec<Value> {
        let namespace = if rt.namespaced { namespace } else { None };
        self.store
            .list(&rt.group, &rt.plural, namespace)
            .map(|(_, v)| v)
            .filter(|v| labels.matches(&v["metadata"]["labels"]) && fields.matches(v))
            .cloned()
            .collect()
    }

    fn check_namespace(&self, rt: &ResourceType, namespace: &str) -> Result<(), ApiError> {
        if !rt.namespaced {
            return Ok(());
        }
        let Some(ns_type) = self.catalog.by_plural("", "v1", "namespaces") else {
            return Ok(());
        };
        if self
            .store
            .get(&ObjectKey::new(ns_type, "", namespace))
            .is_none()
        {
            return Err(ApiError::not_found(ns_type, namespace));
        }
        Ok(())
    }

    /// Checks `apiVersion`/`kind`/`namespace` of a request body against the
    /// URL and fills what is missing.
    fn normalise_body(
        rt: &ResourceType,
        namespace: &str,
        mut body: Value,
    ) -> Result<Value, ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the request body must be a JSON object",
            ));
        }
        let api_version = rt.api_version();
        match body["apiVersion"].as_str() {
            Some(v) if v != api_version => {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({v}) does not match the expected API version ({api_version})"
                )))
            }
            _ => body["apiVersion"] = json!(api_version),
        }
        match body["kind"].as_str() {
            Some(k) if k != rt.kind => {
                return Err(ApiError::bad_request(format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    rt.kind
                )))
            }
            _ => body["kind"] = json!(rt.kind),
        }
        if !body["metadata"].is_object() {
            body["metadata"] = json!({});
        }
        if rt.namespaced {
            match body["metadata"]["namespace"].as_str() {
                Some(ns) if ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ))
                }
                _ => body["metadata"]["namespace"] = json!(namespace),
            }
        } else if let Some(map) = body["metadata"].as_object_mut() {
            map.remove("namespace");
        }
        Ok(body)
    }

    /// Creates an object (POST); 409 AlreadyExists if the name is taken.
    pub fn create(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        body: Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let mut object = Self::normalise_body(rt, namespace, body)?;
        if name_of(&object).is_empty() {
            if let Some(prefix) = object["metadata"]["generateName"].as_str() {
                let name = format!("{prefix}{}", random_suffix(5));
                object["metadata"]["name"] = json!(name);
            }
        }
        self.check_namespace(rt, namespace)?;
        let name = name_of(&object).to_string();
        let key = ObjectKey::new(rt, namespace, &name);
        if self.store.get(&key).is_some() {
            return Err(ApiError::already_exists(rt, &name));
        }
        if rt.status {
            // Status is the controllers' business on types that have the
            // subresource ([`ObjectApi::put_internal`] writes it after create).
            if let Some(map) = object.as_object_mut() {
                map.remove("status");
            }
        }
        let meta = &mut object["metadata"];
        meta["uid"] = json!(uuid::Uuid::new_v4().to_string());
        meta["creationTimestamp"] = json!(now_timestamp());
        if let Some(map) = meta.as_object_mut() {
            map.remove("resourceVersion");
            map.remove("generation");
        }
        if object.get("spec").is_some() {
            object["metadata"]["generation"] = json!(1);
        }
        apply_defaults(rt, &mut object);
        validate(rt, &object)?;
        if opts.dry_run {
            return Ok(object);
        }
        Ok(self.store.put(key, object))
    }

    /// Replaces an object (PUT) or one part of it; 409 Conflict when the
    /// body carries a resourceVersion that is no longer current.
    pub fn update(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        body: Value,
        part: Part,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let body = Self::normalise_body(rt, namespace, body)?;
        if name_of(&body) != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                name_of(&body)
            )));
        }
        let key = ObjectKey::new(rt, namespace, name);
        let current = self
            .store
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        self.commit(rt, key, &current, body, part, opts)
    }

    /// Applies a PATCH; server-side apply creates the object when absent.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
        part: Part,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let key = ObjectKey::new(rt, namespace, name);
        let Some(current) = self.store.get(&key).cloned() else {
            if patch_type == PatchType::Apply && part != Part::Status {
                let mut body = patch.clone();
                if body["metadata"]["name"].is_null() {
                    body["metadata"]["name"] = json!(name);
                }
                if name_of(&body) != name {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({}) does not match the name on the URL ({name})",
                        name_of(&body)
                    )));
                }
                return self.create(rt, namespace, body, opts);
            }
            return Err(ApiError::not_found(rt, name));
        };
        if patch_type == PatchType::Apply {
            // Applied configs name their type; check it before merging.
            Self::normalise_body(rt, namespace, patch.clone())?;
        }
        let patched = patch_type.apply(&current, patch)?;
        let patched = Self::normalise_body(rt, namespace, patched)?;
        self.commit(rt, key, &current, patched, part, opts)
    }

    /// The common tail of update and patch: preconditions, immutable
    /// metadata, status rules, generation, defaults, validation, no-op
    /// detection, then store (unless dry run).
    fn commit(
        &mut self,
        rt: &ResourceType,
        key: ObjectKey,
        current: &Value,
        mut next: Value,
        part: Part,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let current_rv = current["metadata"]["resourceVersion"].clone();
        match next["metadata"]["resourceVersion"].as_str() {
            Some(rv) if !rv.is_empty() && Some(rv) != current_rv.as_str() => {
                return Err(ApiError::conflict(rt, &key.name));
            }
            _ => {}
        }
        for field in ["uid", "creationTimestamp", "name", "namespace"] {
            match current["metadata"].get(field) {
                Some(v) => next["metadata"][field] = v.clone(),
                None => {
                    if let Some(map) = next["metadata"].as_object_mut() {
                        map.remove(field);
                    }
                }
            }
        }
        next = match part {
            Part::Status => {
                let mut kept = current.clone();
                kept["status"] = next.get("status").cloned().unwrap_or(Value::Null);
                kept
            }
            Part::Main if rt.status => {
                match current.get("status") {
                    Some(status) => next["status"] = status.clone(),
                    None => {
                        if let Some(map) = next.as_object_mut() {
                            map.remove("status");
                        }
                    }
                }
                next
            }
            _ => next,
        };
        if let Some(generation) = current["metadata"]["generation"].as_i64() {
            let bumped = desired_state(&next) != desired_state(current);
            next["metadata"]["generation"] = json!(generation + i64::from(bumped));
        }
        next["metadata"]["resourceVersion"] = current_rv;
        apply_defaults(rt, &mut next);
        validate(rt, &next)?;
        if next == *current || opts.dry_run {
            return Ok(next);
        }
        Ok(self.store.put(key, next))
    }

    /// Deletes an object; deleting a namespace deletes everything in it.
    /// Answers the `Status` the real server sends.
    pub fn delete(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let key = ObjectKey::new(rt, namespace, name);
        let current = self
            .store
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        let uid = current["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if opts.dry_run {
            return Ok(success_status(rt, name, &uid));
        }
        if rt.group.is_empty() && rt.plural == "namespaces" {
            let contained: Vec<ObjectKey> = self
                .catalog
                .types()
                .iter()
                .filter(|t| t.namespaced)
                .flat_map(|t| {
                    self.store
                        .list(&t.group, &t.plural, Some(name))
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                })
                .collect();
            for k in contained {
                self.store.remove(&k);
            }
        }
        self.store.remove(&key);
        Ok(success_status(rt, name, &uid))
    }

    /// Writes a whole object as-is (controller and seeding), creating it if
    /// absent; unchanged objects are not rewritten.
    pub fn put_internal(&mut self, rt: &ResourceType, object: Value) -> Result<Value, ApiError> {
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = name_of(&object).to_string();
        let key = ObjectKey::new(rt, &namespace, &name);
        let current = match self.store.get(&key).cloned() {
            Some(current) => current,
            None => {
                // Create drops status (clients may not set it); keep it here.
                let created =
                    self.create(rt, &namespace, object.clone(), WriteOptions::default())?;
                match object.get("status") {
                    Some(status) if created.get("status") != Some(status) => created,
                    _ => return Ok(created),
                }
            }
        };
        let mut next = object;
        next["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
        self.commit(
            rt,
            key,
            &current,
            next,
            Part::Whole,
            WriteOptions::default(),
        )
    }
}

/// `n` characters of the alphabet Kubernetes uses for generated names.
pub fn random_suffix(n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..n)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}
