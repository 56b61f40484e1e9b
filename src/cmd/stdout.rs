//! Printing listings to stdout without panicking when the reader goes away
//! (`runbook log RUN | head`).

use std::io::Write;

/// Write `text` to stdout; a closed pipe just ends the output.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
