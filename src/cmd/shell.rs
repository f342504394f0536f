//! Shell completions and the man page, generated from the clap definitions
//! in [`super::args`], so they can never disagree with the parser.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Cli;

/// The command a completion script runs to list the repository's
/// clusters (the hidden `complete-clusters`, which reads only rbacc.yaml).
const CLUSTERS_COMMAND: &str = "rbacc complete-clusters 2>/dev/null";

/// The completion script for `shell`. In bash, zsh and fish, `--cluster`
/// completes the clusters of the repository found from the current
/// directory, as rbacc finds it, and the hidden command that lists them is
/// not offered.
pub fn completions(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rbacc", &mut buf);
    let script = String::from_utf8_lossy(&buf).into_owned();
    let each_line = |f: &dyn Fn(&str) -> Option<String>| -> String {
        script
            .lines()
            .filter_map(|line| Some(f(line)? + "\n"))
            .collect()
    };
    match shell {
        Shell::Bash => bash_clusters(&script),
        Shell::Fish => each_line(&|line| match line {
            _ if line.contains("-a \"complete-clusters\"") => None,
            _ if line.contains(" -l cluster ") => {
                Some(format!("{line} -f -a \"({CLUSTERS_COMMAND})\""))
            }
            _ => Some(line.to_string()),
        }),
        // `_arguments` evaluates an action in braces when completing.
        Shell::Zsh => each_line(&|line| match line.trim_start() {
            l if l.starts_with("'complete-clusters:") => None,
            l if l.starts_with("'--cluster=[") && line.ends_with(":CLUSTER:' \\") => {
                let head = line.strip_suffix("' \\")?;
                Some(format!(
                    "{head}{{compadd -- ${{(f)\"$({CLUSTERS_COMMAND})\"}}}}' \\"
                ))
            }
            _ => Some(line.to_string()),
        }),
        _ => script,
    }
}

/// In clap_complete's bash script, the case of `--cluster` offers what is
/// typed (its value hint is "other"); its body, up to `return 0`, is
/// replaced by the clusters.
fn bash_clusters(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut in_cluster = false;
    for line in script.split_inclusive('\n') {
        if in_cluster {
            if line.trim() != "return 0" {
                continue;
            }
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!(
                "{indent}COMPREPLY=($(compgen -W \"$({CLUSTERS_COMMAND})\" -- \"${{cur}}\"))\n"
            ));
            in_cluster = false;
        } else {
            in_cluster = line.trim() == "--cluster)";
        }
        // The hidden command is for the script itself, not offered.
        if line.trim_start().starts_with("opts=") {
            out.push_str(&line.replace(" complete-clusters", ""));
            continue;
        }
        out.push_str(line);
    }
    out
}

/// The clusters `rbacc.yaml` of the repository found from the current
/// directory declares, one a line; nothing when it does not read.
pub fn clusters() -> String {
    let path = super::args::discover_repo().join("rbacc.yaml");
    let limit = rbacc::yaml::DECLARATIONS.file_bytes as u64;
    let Ok(Ok(bytes)) = rbacc::files::read_limited(&path, limit) else {
        return String::new();
    };
    let input = rbacc::load::Input {
        config: Some(rbacc::load::InputFile {
            path: "rbacc.yaml".to_string(),
            contents: Ok(bytes),
        }),
        ..Default::default()
    };
    let compilation = rbacc::compile(&input, &rbacc::Settings::queries());
    let Some(resolved) = compilation.resolved else {
        return String::new();
    };
    resolved
        .org
        .clusters
        .iter()
        .map(|c| format!("{}\n", c.name))
        .collect()
}

/// `rbacc man`: rbacc(1), one command's page, or all of them written into
/// a directory.
pub fn man_command(args: &super::args::ManArgs) -> Result<super::Outcome, String> {
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, page) in pages() {
            let path = dir.join(format!("{name}.1"));
            std::fs::write(&path, page).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        return Ok(super::Outcome::Success);
    }
    match &args.command {
        None => super::print(&man()),
        Some(name) => {
            let wanted = format!("rbacc-{name}");
            match pages().into_iter().find(|(page, _)| *page == wanted) {
                Some((_, page)) => super::print(&page),
                None => {
                    let names: Vec<String> = Cli::command()
                        .get_subcommands()
                        .filter(|s| !s.is_hide_set())
                        .map(|s| s.get_name().to_string())
                        .collect();
                    Err(format!(
                        "rbacc has no command `{}`; its commands are {}",
                        rbacc::text::visible(name),
                        names.join(", ")
                    ))
                }
            }
        }
    }
}

/// Every page: `rbacc` (rbacc(1)) and `rbacc-<command>` for each command
/// it lists in its COMMANDS section, so that every page it refers to is
/// here.
pub fn pages() -> Vec<(String, String)> {
    let mut out = vec![("rbacc".to_string(), man())];
    // Built, so that clap's own `help` command is among them.
    let mut command = Cli::command();
    command.build();
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("rbacc-{}", sub.get_name());
        let sub = sub.clone().bin_name(format!("rbacc {}", sub.get_name()));
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = clap_mangen::Man::new(sub)
            .title(name.clone())
            .render(&mut buf);
        out.push((name, String::from_utf8_lossy(&buf).into_owned()));
    }
    out
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
