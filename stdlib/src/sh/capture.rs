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
                            self.emit_long(&mut line);
                        }
                    }
                }
            }
        }
        if !line.is_empty() && self.attached.load(Ordering::Acquire) {
            self.emit(&mut line);
        }
    }

    /// Send the start of a line too long to buffer, cut where no secret
    /// is split (the sink redacts each piece on its own); keep the rest.
    fn emit_long(&self, line: &mut Vec<u8>) {
        let mut cut = self.sink.safe_cut(line).min(line.len());
        // Not inside a character (holding back more is always safe).
        while cut > 0 && cut < line.len() && line[cut] & 0b1100_0000 == 0b1000_0000 {
            cut -= 1;
        }
        // Nothing safe to send (a secret as long as the buffer): send all.
        if cut == 0 {
            cut = line.len();
        }
        let rest = line.split_off(cut);
        self.emit(line);
        *line = rest;
    }

    fn emit(&self, line: &mut Vec<u8>) {
        let text = String::from_utf8_lossy(line);
        self.sink
            .output(self.stream, text.strip_suffix('\r').unwrap_or(&text));
        line.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    /// Records lines; knows one secret and cuts like the interpreter's sink.
    struct Sink {
        secret: &'static [u8],
        lines: Mutex<Vec<String>>,
    }

    impl EventSink for Sink {
        fn output(&self, _: OutputStream, line: &str) {
            self.lines.lock().unwrap().push(line.to_string());
        }
        fn dry_run_effect(&self, _: &str, _: &str) {}
        fn effect(&self, _: &str, _: &str) {}
        fn add_secret(&self, _: &str) {}
        fn safe_cut(&self, text: &[u8]) -> usize {
            let n = self.secret.len();
            let mut cut = text.len().saturating_sub(n - 1);
            if let Some(at) = text.windows(n).position(|w| w == self.secret) {
                if at < cut && at + n > cut {
                    cut = at + n;
                }
            }
            cut
        }
    }

    #[tokio::test]
    async fn a_line_too_long_to_buffer_is_cut_outside_its_secret() {
        let secret: &'static [u8] = b"S3CRET-VALUE";
        let sink = Arc::new(Sink {
            secret,
            lines: Mutex::new(Vec::new()),
        });
        // The secret straddles the point where the buffer is full.
        let mut input = vec![b'x'; MAX_LINE - 5];
        input.extend_from_slice(secret);
        input.extend_from_slice(b" and more\n");
        let pump = Pump {
            stream: OutputStream::Stdout,
            sink: sink.clone(),
            captured: Arc::new(Mutex::new(Captured::default())),
            attached: Arc::new(AtomicBool::new(true)),
        };
        pump.run(&input[..]).await;
        let lines = sink.lines.lock().unwrap().clone();
        assert!(lines.len() >= 2, "the line was cut: {}", lines.len());
        let whole = String::from_utf8(secret.to_vec()).unwrap();
        assert!(
            lines.iter().any(|l| l.contains(&whole)),
            "one piece holds the whole secret"
        );
        assert_eq!(
            lines.concat().into_bytes(),
            input[..input.len() - 1].to_vec()
        );
    }
}
