//! Turning a child's output stream into lines for the event sink and a
//! bounded copy for the returned map.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::{EventSink, OutputStream};

/// How many bytes of each stream the returned `stdout`/`stderr` keep (the
/// first ones). Everything is still streamed to the event sink.
pub const CAPTURE_LIMIT: usize = 1024 * 1024;

/// A line longer than this is sent to the sink in pieces, so a command that
/// prints megabytes without a newline cannot grow the line buffer unbounded.
const MAX_LINE: usize = 64 * 1024;

/// The part of one stream kept for the result, shared between the task that
/// reads the pipe and the caller.
#[derive(Default)]
pub(crate) struct Captured {
    bytes: Vec<u8>,
}

impl Captured {
    fn push(&mut self, chunk: &[u8]) {
        let room = CAPTURE_LIMIT.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Reads one pipe to its end: while `attached`, every line goes to the sink
/// and the first [`CAPTURE_LIMIT`] bytes to `captured`; once detached (the
/// command exited but a background process still holds the pipe) the rest is
/// read and dropped, so that process does not die of SIGPIPE.
pub(crate) struct Pump {
    pub(crate) stream: OutputStream,
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) captured: Arc<Mutex<Captured>>,
    pub(crate) attached: Arc<AtomicBool>,
}

impl Pump {
    pub(crate) async fn run<R: AsyncRead + Unpin>(self, mut reader: R) {
        let mut buf = vec![0u8; 8192];
        let mut line: Vec<u8> = Vec::new();
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if !self.attached.load(Ordering::Acquire) {
                continue;
            }
            let chunk = &buf[..n];
            if let Ok(mut c) = self.captured.lock() {
                c.push(chunk);
            }
            for piece in chunk.split_inclusive(|b| *b == b'\n') {
                match piece.strip_suffix(b"\n") {
                    Some(rest) => {
                        line.extend_from_slice(rest);
                        self.emit(&mut line);
                    }
                    None => {
                        line.extend_from_slice(piece);
                        if line.len() >= MAX_LINE {
                            self.emit(&mut line);
                        }
                    }
                }
            }
        }
        if !line.is_empty() && self.attached.load(Ordering::Acquire) {
            self.emit(&mut line);
        }
    }

    fn emit(&self, line: &mut Vec<u8>) {
        let text = String::from_utf8_lossy(line);
        self.sink
            .output(self.stream, text.strip_suffix('\r').unwrap_or(&text));
        line.clear();
    }
}
