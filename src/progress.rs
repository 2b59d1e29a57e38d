//! A progress bar on standard error for long runs: shown at once for
//! thousands of inputs, else once a run has lasted a second. Never shown
//! when standard error is not a terminal or with `-q`, so pipes, CI logs
//! and the benchmark never pay for it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs with at least this many inputs show the bar from the start.
const MANY_INPUTS: usize = 1000;
/// Shorter runs show it once they have lasted this long.
const AFTER: Duration = Duration::from_secs(1);

/// The run's progress over its inputs, in phases ("reading", "writing").
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Set when the run is over, so a late timer does not show the bar.
    done: Arc<Mutex<bool>>,
}

impl Progress {
    /// A bar over `total` inputs; `enabled` is false for `-q` or when
    /// standard error is not a terminal.
    pub fn new(total: usize, enabled: bool) -> Progress {
        let done = Arc::new(Mutex::new(false));
        if !enabled {
            return Progress { bar: None, done };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg:8} [{bar:30}] {pos}/{len} inputs, {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        if total >= MANY_INPUTS {
            show(&bar);
        } else {
            let (bar, done) = (bar.clone(), done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(AFTER);
                if let Ok(done) = done.lock() {
                    if !*done {
                        show(&bar);
                    }
                }
            });
        }
        Progress {
            bar: Some(bar),
            done,
        }
    }

    /// Starts a phase: the count starts again at 0 under `msg`.
    pub fn phase(&self, msg: &'static str) {
        if let Some(b) = &self.bar {
            b.set_message(msg);
            b.set_position(0);
        }
    }

    /// One more input is through the current phase.
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// Removes the bar, before the run prints its messages.
    pub fn finish(&self) {
        if let Ok(mut done) = self.done.lock() {
            *done = true;
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn show(bar: &ProgressBar) {
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.enable_steady_tick(Duration::from_millis(100));
}
