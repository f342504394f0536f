//! A progress line on stderr, for commands that take more than a second:
//! compiling a large organisation, writing or comparing many files of
//! `out/`, a diff.
//!
//! It is an edge, like `main`: it writes to the terminal. It shows only when
//! stderr is a terminal and `--quiet` is off, and only once a second has
//! passed since the command started, so quick runs, pipes, CI logs and the
//! tests see exactly what they saw without it. A background thread redraws
//! the line in place (`\r`) ten times a second; it is erased (overwritten
//! with spaces, which works on any terminal) before anything else is printed
//! through [`Progress::suspend`] and when a stage ends. Work counts what it
//! has done with [`Progress::add`], an atomic add, from any thread.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rbacc::report::thousands;

/// How long a command runs before the line shows.
pub const DELAY: Duration = Duration::from_secs(1);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// The progress line of one command; [`Progress::hidden`] draws nothing.
pub struct Progress {
    shared: Option<Arc<Shared>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Items done in the current stage.
    done: AtomicU64,
}

struct State {
    out: Box<dyn Write + Send>,
    /// When the command started: nothing is drawn before `DELAY` after it.
    started: Instant,
    delay: Duration,
    /// The current stage: what is being done, how many items (0: not
    /// counted), and since when.
    stage: Option<(String, u64, Instant)>,
    /// How many characters the line on screen has (0: none).
    drawn: usize,
    stop: bool,
}

impl State {
    fn erase(&mut self) {
        if self.drawn > 0 {
            let blank = format!("\r{}\r", " ".repeat(self.drawn));
            let _ = self.out.write_all(blank.as_bytes());
            let _ = self.out.flush();
            self.drawn = 0;
        }
    }

    fn draw(&mut self, done: u64) {
        let Some((label, total, since)) = &self.stage else {
            return;
        };
        if self.started.elapsed() < self.delay {
            return;
        }
        let line = line(label, done, *total, since.elapsed());
        let width = line.chars().count();
        let pad = " ".repeat(self.drawn.saturating_sub(width));
        let _ = self.out.write_all(format!("\r{line}{pad}").as_bytes());
        let _ = self.out.flush();
        self.drawn = width;
    }
}

/// The text of the line: `writing out/ 1,234/95,421 (3s)`.
fn line(label: &str, done: u64, total: u64, took: Duration) -> String {
    let secs = took.as_secs();
    if total == 0 {
        format!("{label} ({secs}s)")
    } else {
        format!(
            "{label} {}/{} ({secs}s)",
            thousands(done.min(total)),
            thousands(total)
        )
    }
}

impl Progress {
    /// A progress that draws nothing.
    pub fn hidden() -> Progress {
        Progress {
            shared: None,
            thread: None,
        }
    }

    /// The progress line on stderr when `shown` (stderr is a terminal and
    /// `--quiet` is off), else [`Progress::hidden`].
    pub fn stderr(shown: bool) -> Progress {
        if shown {
            Progress::to(Box::new(std::io::stderr()), DELAY)
        } else {
            Progress::hidden()
        }
    }

    /// A progress line written to `out`, once `delay` has passed.
    pub fn to(out: Box<dyn Write + Send>, delay: Duration) -> Progress {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                out,
                started: Instant::now(),
                delay,
                stage: None,
                drawn: 0,
                stop: false,
            }),
            wake: Condvar::new(),
            done: AtomicU64::new(0),
        });
        let ticker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("progress".to_string())
            .spawn(move || {
                let mut state = lock(&ticker.state);
                while !state.stop {
                    state = ticker
                        .wake
                        .wait_timeout(state, TICK)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    if !state.stop {
                        let done = ticker.done.load(Ordering::Relaxed);
                        state.draw(done);
                    }
                }
                state.erase();
            })
            .ok();
        match thread {
            Some(thread) => Progress {
                shared: Some(shared),
                thread: Some(thread),
            },
            // No thread, no line: the work goes on without it.
            None => Progress::hidden(),
        }
    }

    /// Starts a stage: `label` says what is being done; `total` is how many
    /// items it counts with [`Progress::add`] (0: it does not count).
    pub fn stage(&self, label: &str, total: u64) {
        if let Some(shared) = &self.shared {
            let mut state = lock(&shared.state);
            shared.done.store(0, Ordering::Relaxed);
            state.stage = Some((label.to_string(), total, Instant::now()));
        }
    }

    /// Counts `n` more items done in the current stage.
    pub fn add(&self, n: u64) {
        if let Some(shared) = &self.shared {
            shared.done.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Ends the current stage and erases the line.
    pub fn finish(&self) {
        if let Some(shared) = &self.shared {
            let mut state = lock(&shared.state);
            state.stage = None;
            state.erase();
        }
    }

    /// Runs `print` (which writes to the terminal) with the line erased and
    /// not redrawn meanwhile; it comes back on the next tick.
    pub fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.shared {
            Some(shared) => {
                let mut state = lock(&shared.state);
                state.erase();
                print()
            }
            None => print(),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            lock(&shared.state).stop = true;
            shared.wake.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Locks `state`; a panic while drawing poisons nothing worth stopping for.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl rbacc::output::Progress for Progress {
    fn stage(&self, label: &str, total: u64) {
        Progress::stage(self, label, total);
    }

    fn add(&self, n: u64) {
        Progress::add(self, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("buffer").clone()).expect("UTF-8")
        }
    }

    #[test]
    fn nothing_is_drawn_before_the_delay() {
        let buffer = Buffer::default();
        let progress = Progress::to(Box::new(buffer.clone()), Duration::from_secs(3600));
        progress.stage("compiling", 0);
        std::thread::sleep(TICK * 3);
        progress.finish();
        drop(progress);
        assert_eq!(buffer.text(), "");
    }

    #[test]
    fn the_line_is_drawn_counted_and_erased() {
        let buffer = Buffer::default();
        let progress = Progress::to(Box::new(buffer.clone()), Duration::ZERO);
        progress.stage("writing out/", 2_000);
        progress.add(1_500);
        std::thread::sleep(TICK * 3);
        let printed = progress.suspend(|| buffer.text());
        assert!(
            printed.starts_with("\rwriting out/ 1,500/2,000 (0s)"),
            "{printed:?}"
        );
        assert!(
            printed.ends_with(&format!("\r{}\r", " ".repeat(29))),
            "{printed:?}"
        );
        progress.finish();
        drop(progress);
        let text = buffer.text();
        assert!(text.ends_with('\r'), "erased at the end: {text:?}");
    }

    #[test]
    fn hidden_draws_nothing_and_runs_what_it_suspends() {
        let progress = Progress::hidden();
        progress.stage("compiling", 10);
        progress.add(3);
        assert_eq!(progress.suspend(|| 7), 7);
        progress.finish();
    }

    #[test]
    fn a_line_without_a_total_counts_nothing() {
        assert_eq!(
            line("compiling", 0, 0, Duration::from_millis(2_500)),
            "compiling (2s)"
        );
    }
}
