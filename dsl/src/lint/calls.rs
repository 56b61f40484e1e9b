//! Which calls are reads and which are effects, from the stdlib's table.

use std::collections::HashMap;

use super::expr_facts::{Call, CallKind};
use crate::signature::{Class, SignatureTable};

/// The signature table, indexed for lint's question: is this call an effect?
#[derive(Debug, Default)]
pub struct CallClasses {
    module_fns: HashMap<&'static str, HashMap<&'static str, Class>>,
    free_fns: HashMap<&'static str, Class>,
    methods: HashMap<&'static str, Class>,
}

impl CallClasses {
    /// Index `table`. A name with several signatures is an effect if any of
    /// them is: a method's receiver type is not known statically, so lint
    /// assumes the worst.
    pub fn new(table: &SignatureTable) -> Self {
        let mut classes = CallClasses::default();
        for sig in &table.functions {
            let slot = match (sig.module, sig.receiver) {
                (Some(module), _) => classes
                    .module_fns
                    .entry(module)
                    .or_default()
                    .entry(sig.name),
                (None, Some(_)) => classes.methods.entry(sig.name),
                (None, None) => classes.free_fns.entry(sig.name),
            };
            merge(slot.or_insert(sig.class), sig.class);
        }
        classes
    }

    /// `None` when the table does not know the function (a Rhai built-in or
    /// a user's own function).
    pub fn class_of(&self, call: &Call<'_>) -> Option<Class> {
        match &call.kind {
            CallKind::Module(module) => self.module_fns.get(module)?.get(call.name).copied(),
            CallKind::Free => self.free_fns.get(call.name).copied(),
            CallKind::Method => self.methods.get(call.name).copied(),
        }
    }
}

fn merge(slot: &mut Class, class: Class) {
    if class == Class::Effect {
        *slot = Class::Effect;
    }
}
