//! The README's example sessions, run: every `console` code block right
//! after the line [`MARK`] holds commands (`$ rbacc …`) each followed by
//! its output, and the test runs each command in a copy of the example
//! organisation and compares what it prints on stdout. A line `…` in the
//! expected output stands for any number of lines, so an example can show
//! only part of a long answer. Unmarked blocks (sessions that edit files
//! first) are not run.

/// The line before a checked block: an HTML comment, not rendered.
const MARK: &str = "<!-- checked by tests/it/readme.rs -->";

use super::support::{Repo, root};

/// One command of a session and the output shown under it.
struct Example {
    line: usize,
    command: String,
    output: Vec<String>,
}

/// The commands of every `console` block of `text`, in order.
fn examples(text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_console = false;
    let mut in_block = false;
    let mut marked = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            in_console = !in_block && marked && info.trim() == "console";
            in_block = !in_block;
            marked = false;
            continue;
        }
        marked = line.trim() == MARK;
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.push(Example {
                line: i + 1,
                command: command.to_string(),
                output: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.output.push(line.to_string());
        }
    }
    // The blank line between two commands of a session is not output.
    for example in &mut out {
        while example.output.last().is_some_and(|l| l.is_empty()) {
            example.output.pop();
        }
    }
    out
}

/// Whether `actual` is `expected`, where a line `…` of `expected` matches
/// any number of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "…" => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual
                .first()
                .is_some_and(|a| a.trim_end() == first.trim_end())
                && matches(rest, &actual[1..])
        }
    }
}

#[test]
fn readme_sessions_print_what_the_readme_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let examples = examples(&readme);
    assert!(
        examples.len() >= 4,
        "the README's console sessions: {} commands",
        examples.len()
    );
    let repo = Repo::example();
    let mut problems = Vec::new();
    for example in &examples {
        let Some(args) = example.command.strip_prefix("rbacc ") else {
            problems.push(format!(
                "README.md:{}: `{}` is not an rbacc command",
                example.line, example.command
            ));
            continue;
        };
        let run = repo.rbacc(args);
        let stdout = run.stdout();
        let actual: Vec<&str> = stdout.lines().collect();
        if !matches(&example.output, &actual) {
            problems.push(format!(
                "README.md:{}: `{}` prints\n{}\nbut the README shows\n{}",
                example.line,
                example.command,
                stdout,
                example.output.join("\n")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn ellipsis_stands_for_any_lines() {
    let lines = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&lines(&["a", "…", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&lines(&["a", "…"]), &["a"]));
    assert!(!matches(&lines(&["a", "…", "d"]), &["a", "b"]));
    assert!(!matches(&lines(&["a"]), &["a", "b"]));
}
