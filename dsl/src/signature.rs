//! The shape of the stdlib's function table, as lint and the check pass see
//! it. The table itself lives in `runbook-stdlib` (`runbook_stdlib::signatures()`);
//! `dsl` only knows the type, so it stays free of Kubernetes and PostgreSQL.

use serde::Serialize;

/// Whether an action only looks (safe in dry run, safe to re-run) or changes
/// the world (printed instead of performed in dry run; wants an `undo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Class {
    Read,
    Effect,
}

/// One callable: a module function (`kube::deployment(ns, name)`), a free
/// function (`env("X")`), or a method on a handle type (`app.scale(n)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// `Some("kube")` for `kube::deployment`; `None` for free functions and methods.
    pub module: Option<&'static str>,
    pub name: &'static str,
    /// The handle type for a method (`"Deployment"`), `None` otherwise.
    pub receiver: Option<&'static str>,
    /// Parameter names, for messages and docs (excludes the receiver).
    pub params: &'static [&'static str],
    /// How many of `params` may be left out at the end (for optional args).
    pub optional: usize,
    pub class: Class,
    pub doc: &'static str,
}

impl Signature {
    /// A module function such as `kube::deployment(namespace, name)`, with
    /// every parameter required and no doc (see [`Signature::with_optional`]
    /// and [`Signature::with_doc`]).
    pub const fn module_fn(
        module: &'static str,
        name: &'static str,
        params: &'static [&'static str],
        class: Class,
    ) -> Signature {
        Signature {
            module: Some(module),
            name,
            receiver: None,
            params,
            optional: 0,
            class,
            doc: "",
        }
    }

    /// A free function such as `env(name)`.
    pub const fn free_fn(
        name: &'static str,
        params: &'static [&'static str],
        class: Class,
    ) -> Signature {
        Signature {
            module: None,
            ..Signature::module_fn("", name, params, class)
        }
    }

    /// A method such as `Deployment.scale(replicas)` (`params` exclude the
    /// receiver).
    pub const fn method(
        receiver: &'static str,
        name: &'static str,
        params: &'static [&'static str],
        class: Class,
    ) -> Signature {
        Signature {
            receiver: Some(receiver),
            ..Signature::free_fn(name, params, class)
        }
    }

    /// The same, with the last `optional` parameters optional.
    pub const fn with_optional(self, optional: usize) -> Signature {
        Signature { optional, ..self }
    }

    /// The same, with `doc` as its documentation.
    pub const fn with_doc(self, doc: &'static str) -> Signature {
        Signature { doc, ..self }
    }

    pub fn min_args(&self) -> usize {
        self.params.len() - self.optional.min(self.params.len())
    }
    pub fn max_args(&self) -> usize {
        self.params.len()
    }
    pub fn accepts(&self, args: usize) -> bool {
        (self.min_args()..=self.max_args()).contains(&args)
    }
    /// `kube::scale(n)` style rendering for messages.
    pub fn display(&self) -> String {
        let prefix = match (self.module, self.receiver) {
            (Some(m), _) => format!("{m}::"),
            (None, Some(r)) => format!("{r}."),
            _ => String::new(),
        };
        format!("{prefix}{}({})", self.name, self.params.join(", "))
    }
}

/// All functions a runbook may call, beyond Rhai's own built-ins.
#[derive(Clone, Debug, Default)]
pub struct SignatureTable {
    pub functions: Vec<Signature>,
}

impl SignatureTable {
    pub fn new(functions: Vec<Signature>) -> Self {
        SignatureTable { functions }
    }
    /// Module names that exist (`kube`, `pg`, …).
    pub fn modules(&self) -> impl Iterator<Item = &'static str> + '_ {
        let mut seen: Vec<&'static str> = Vec::new();
        self.functions.iter().filter_map(move |s| {
            let m = s.module?;
            if seen.contains(&m) {
                None
            } else {
                seen.push(m);
                Some(m)
            }
        })
    }
    pub fn module_fn<'a>(
        &'a self,
        module: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Signature> + 'a {
        self.functions
            .iter()
            .filter(move |s| s.module == Some(module) && s.name == name)
    }
    pub fn free_fn<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Signature> + 'a {
        self.functions
            .iter()
            .filter(move |s| s.module.is_none() && s.receiver.is_none() && s.name == name)
    }
    pub fn methods<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Signature> + 'a {
        self.functions
            .iter()
            .filter(move |s| s.receiver.is_some() && s.name == name)
    }
}
