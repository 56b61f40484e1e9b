//! The run model: executes a checked runbook, checkpointing every step in
//! sled so that a run resumes exactly where it stopped.
