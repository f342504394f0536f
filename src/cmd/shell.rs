//! Shell completions and the man page, generated from the clap definitions
//! in [`super::args`], so they can never disagree with the parser.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Cli;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rbacc", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The man page (roff, section 1): the top-level page, then a section per
/// command with its synopsis, options and examples.
pub fn man() -> String {
    let command = Cli::command();
    let page = clap_mangen::Man::new(command.clone());
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render(&command, &page, &mut buf);
    // clap_mangen repeats a two-line preamble (the definition of `\*(Aq`)
    // before every section; keep one, after `.TH`, so the page starts
    // with its title as man pages do.
    const PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];
    let mut out = String::new();
    for line in String::from_utf8_lossy(&buf).lines() {
        if PREAMBLE.contains(&line) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with(".TH ") {
            for p in PREAMBLE {
                out.push_str(p);
                out.push('\n');
            }
        }
    }
    out
}

fn render(
    command: &clap::Command,
    page: &clap_mangen::Man,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    page.render_subcommands_section(out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let sub = sub.clone().bin_name(format!("rbacc {name}"));
        writeln!(out, ".SH \"RBACC {}\"", name.to_uppercase())?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", escape(&about.to_string()))?;
        }
        // Its synopsis and options, as subsections of its section.
        let mut buf = Vec::new();
        let sub_page = clap_mangen::Man::new(sub.clone());
        sub_page.render_synopsis_section(&mut buf)?;
        sub_page.render_options_section(&mut buf)?;
        for line in String::from_utf8_lossy(&buf).lines() {
            match line.strip_prefix(".SH ") {
                Some(rest) => writeln!(out, ".SS {rest}")?,
                None => writeln!(out, "{line}")?,
            }
        }
        if let Some(after) = sub.get_after_help() {
            writeln!(out, ".PP")?;
            writeln!(out, ".nf")?;
            for line in after.to_string().lines() {
                writeln!(out, "{}", escape(line))?;
            }
            writeln!(out, ".fi")?;
        }
    }
    page.render_version_section(out)
}

/// Escapes a line of text for roff: backslashes, and a leading `.` or `'`
/// that would read as a request.
fn escape(line: &str) -> String {
    let line = line.replace('\\', "\\e");
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line
    }
}
