//! Request handlers: discovery documents, resource verbs, subresources,
//! watch streams and Table output.

pub(crate) mod discovery;
pub(crate) mod logs;
pub(crate) mod openapi;
pub(crate) mod resources;
pub(crate) mod scale;
pub(crate) mod table;
pub(crate) mod watch;
