//! What the operator sees, and what the journal records, of a run. Every
//! text goes through the redactor first.
//!
//! On a terminal a status line at the bottom shows the current step, its
//! elapsed time and what an expectation is waiting for, redrawn a few times a
//! second; otherwise (pipes, CI, tests) only plain lines are written.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::event::{Event, EventKind};
use crate::redact::Redactor;
use crate::store::Journal;

/// How runs show themselves on the terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Display {
    /// Plain lines (pipes, CI, tests).
    #[default]
    Plain,
    /// Plain lines plus a redrawn status line (stdout is a terminal).
    Live,
    /// Nothing (benchmarks, embedding); the journal is still written.
    Quiet,
}

/// Terminal + journal, with redaction.
pub struct Output {
    quiet: bool,
    redactor: Redactor,
    journal: Mutex<Option<Arc<dyn Journal>>>,
    live: Option<Mutex<LiveLine>>,
    stop: AtomicBool,
    step: Mutex<Option<String>>,
}

/// The status line of live mode.
struct LiveLine {
    text: Option<(String, Instant)>,
    detail: String,
    shown: bool,
    frame: usize,
}

impl Output {
    /// Events are
    /// recorded once a journal is attached ([`Output::set_journal`]); a dry
    /// run never attaches one.
    pub fn new(redactor: Redactor, display: Display) -> Arc<Output> {
        let live = display == Display::Live;
        let out = Arc::new(Output {
            quiet: display == Display::Quiet,
            redactor,
            journal: Mutex::new(None),
            live: live.then(|| {
                Mutex::new(LiveLine {
                    text: None,
                    detail: String::new(),
                    shown: false,
                    frame: 0,
                })
            }),
            stop: AtomicBool::new(false),
            step: Mutex::new(None),
        });
        if live {
            let weak = Arc::downgrade(&out);
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_millis(200));
                let Some(out) = weak.upgrade() else { break };
                if out.stop.load(Ordering::Relaxed) {
                    break;
                }
                out.redraw();
            });
        }
        out
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Redacted text.
    pub fn r(&self, text: &str) -> String {
        self.redactor.redact(text).into_owned()
    }

    /// Record events in `journal` from now on.
    pub fn set_journal(&self, journal: Arc<dyn Journal>) {
        if let Ok(mut j) = self.journal.lock() {
            *j = Some(journal);
        }
    }

    /// Record an event (its strings must already be redacted).
    pub fn event(&self, kind: EventKind) {
        let journal = self.journal.lock().ok().and_then(|j| j.clone());
        if let Some(j) = journal {
            j.append(&Event::now(kind));
        }
    }

    /// Print one line (redacted).
    pub fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let text = self.r(text);
        let mut stdout = std::io::stdout().lock();
        match &self.live {
            Some(live) => {
                let Ok(mut l) = live.lock() else { return };
                if l.shown {
                    let _ = write!(stdout, "\r\x1b[2K");
                    l.shown = false;
                }
                let _ = writeln!(stdout, "{text}");
                draw(&mut l, &mut stdout);
            }
            None => {
                let _ = writeln!(stdout, "{text}");
            }
        }
        let _ = stdout.flush();
    }

    /// The step now running (for journal output events and the status line).
    pub fn set_step(&self, step: Option<(&str, String)>) {
        if let Ok(mut s) = self.step.lock() {
            *s = step.as_ref().map(|(id, _)| id.to_string());
        }
        if let Some(live) = &self.live {
            if let Ok(mut l) = live.lock() {
                l.text = step.map(|(_, status)| (self.r(&status), Instant::now()));
                l.detail.clear();
            }
            self.redraw();
        }
    }

    /// What the current step is doing (e.g. what an expectation waits for).
    pub fn set_detail(&self, detail: &str) {
        if let Some(live) = &self.live {
            if let Ok(mut l) = live.lock() {
                l.detail = self.r(detail);
            }
        }
    }

    pub fn current_step(&self) -> Option<String> {
        self.step.lock().ok().and_then(|s| s.clone())
    }

    fn redraw(&self) {
        if let Some(live) = &self.live {
            if let Ok(mut l) = live.lock() {
                let mut stdout = std::io::stdout().lock();
                if l.shown {
                    let _ = write!(stdout, "\r\x1b[2K");
                    l.shown = false;
                }
                l.frame += 1;
                draw(&mut l, &mut stdout);
                let _ = stdout.flush();
            }
        }
    }

    /// Clear the status line and stop redrawing it.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(live) = &self.live {
            if let Ok(mut l) = live.lock() {
                l.text = None;
                if l.shown {
                    let mut stdout = std::io::stdout().lock();
                    let _ = write!(stdout, "\r\x1b[2K");
                    let _ = stdout.flush();
                    l.shown = false;
                }
            }
        }
    }
}

const SPINNER: [&str; 4] = ["-", "\\", "|", "/"];

fn draw(l: &mut LiveLine, out: &mut impl Write) {
    let Some((text, since)) = &l.text else { return };
    let secs = since.elapsed().as_secs();
    let mut line = format!(
        "{} {text} · {}m{:02}s",
        SPINNER[l.frame % SPINNER.len()],
        secs / 60,
        secs % 60
    );
    if !l.detail.is_empty() {
        line.push_str(" · ");
        line.push_str(&l.detail);
    }
    // Keep it on one row of a typical terminal.
    let line: String = line.chars().take(160).collect();
    let _ = write!(out, "{line}");
    l.shown = true;
}

/// Human duration: `250ms`, `4.2s`, `3m07s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}
