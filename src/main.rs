//! The `rbacc` binary: parses arguments, runs a command ([`cmd`]), maps the
//! outcome to an exit code (0 success, 1 a finding, 2 usage or environment
//! error).

mod cmd;

use std::process::ExitCode;

use clap::Parser;

// rbacc allocates millions of small values (parsed manifests, model
// strings) across threads; mimalloc spends a fraction of glibc's time on
// them (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cmd::args::Cli::parse();
    match cmd::run(&cli) {
        (_, Ok(cmd::Outcome::Success)) => ExitCode::SUCCESS,
        (_, Ok(cmd::Outcome::Finding)) => ExitCode::from(1),
        (ui, Err(e)) => {
            ui.error(&e);
            ExitCode::from(2)
        }
    }
}
