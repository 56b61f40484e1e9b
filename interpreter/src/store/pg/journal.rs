//! A session's journal: events are numbered as they are appended and
//! written by the background flusher, or by the next commit, whichever comes
//! first; both check the lease in the same transaction.

use std::sync::{Arc, PoisonError};

use super::session::request;
use super::shared::Shared;
use super::worker::Worker;
use crate::event::Event;
use crate::store::{Journal, StoreError};

pub(crate) struct PgJournal {
    pub shared: Arc<Shared>,
    pub worker: Arc<Worker>,
}

impl Journal for PgJournal {
    fn append(&self, event: &Event) {
        let mut pending = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match serde_json::to_value(event) {
            Ok(v) => {
                let seq = pending.next_seq;
                pending.next_seq += 1;
                pending.events.push((seq, v));
            }
            Err(e) => {
                pending.error.get_or_insert(e.to_string());
            }
        }
        drop(pending);
        self.shared.appended.notify_one();
    }

    fn take_error(&self) -> Option<String> {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .error
            .take()
    }

    fn sync(&self) -> Result<(), StoreError> {
        if let Some(e) = self.take_error() {
            return Err(journal_error(&self.shared, e));
        }
        let shared = self.shared.clone();
        request(&self.worker, &self.shared, async move {
            shared.flush_journal().await
        })
    }
}

/// A remembered journal failure as a store error.
pub(crate) fn journal_error(shared: &Shared, detail: String) -> StoreError {
    if shared.lost.is_cancelled() {
        return shared.lost_error();
    }
    StoreError::Database {
        url: shared.target.redacted.clone(),
        detail: format!("writing the journal of run `{}`: {detail}", shared.id),
    }
}
