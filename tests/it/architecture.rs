//! The invariants ARCHITECTURE.md states about the code itself, held by
//! reading the sources: which modules may do I/O, that the library neither
//! prints nor knows clap, and that only the layout module spells the paths
//! of `out/`. Test modules (`tests.rs`, and everything after a
//! `#[cfg(test)]`, which clippy keeps at the end of a file) are left out.

use std::path::{Path, PathBuf};

use crate::support::root;

/// The modules that read or write the world, besides the binary (`main.rs`
/// and `cmd/`): the edges of ARCHITECTURE.md.
const EDGES: &[&str] = &[
    "src/files.rs",       // the one bounded reader
    "src/load.rs",        // the work tree
    "src/gitinput.rs",    // a git revision
    "src/output.rs",      // writes out/ and the record
    "src/init/mod.rs",    // writes a new repository
    "src/clock.rs",       // today, from RBACC_TODAY or the clock
    "src/access/load.rs", // the manifests of `--manifests DIR`
];

/// Every library source file and its code, test modules cut off.
fn library_sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    collect(&root().join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let binary = rel == "src/main.rs" || rel.starts_with("src/cmd/");
            let tests = rel.ends_with("/tests.rs");
            if binary || tests {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // The inline test module, from its attribute on; a test module
            // in its own file (`#[cfg(test)] mod tests;`) cuts nothing.
            let code = match text.find("#[cfg(test)]\nmod tests {") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            Some((rel, code))
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(file:line, line)` of every code line (comments aside) holding one of
/// `needles`.
fn lines_with(files: &[(String, String)], needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, code) in files {
        for (n, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            if needles.iter().any(|needle| holds(line, needle)) {
                found.push(format!("{path}:{}: {}", n + 1, trimmed));
            }
        }
    }
    found
}

/// Whether `line` holds `needle` where it starts a word (`File::` is not
/// in `OutFile::`).
fn holds(line: &str, needle: &str) -> bool {
    line.match_indices(needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn only_the_edges_touch_the_file_system_git_the_environment_or_processes() {
    let sources = library_sources();
    assert!(sources.len() > 40, "the library's sources are found");
    let pure: Vec<(String, String)> = sources
        .into_iter()
        .filter(|(path, _)| !EDGES.contains(&path.as_str()))
        .collect();
    let found = lines_with(
        &pure,
        &[
            "std::fs",
            "fs::",
            "std::env",
            "env::var",
            "std::process",
            "git2::",
            "walkdir",
            "File::",
            "clock::today",
        ],
    );
    assert!(
        found.is_empty(),
        "I/O outside the edges:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_library_neither_prints_nor_knows_clap() {
    let found = lines_with(
        &library_sources(),
        &[
            "clap",
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "io::stdout",
            "io::stderr",
        ],
    );
    assert!(
        found.is_empty(),
        "printing or clap in the library (it belongs in src/cmd/):\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_layout_module_spells_the_paths_of_out() {
    let sources: Vec<(String, String)> = library_sources()
        .into_iter()
        .filter(|(path, _)| path != "src/layout.rs")
        .collect();
    // A directory of out/ followed by a name filled in, or one of the
    // layout's file names.
    let mut needles = Vec::new();
    for dir in ["teams", "cluster", "kubeconfigs", "flux"] {
        needles.push(format!("\"{dir}/{{"));
        needles.push(format!("}}/{dir}/"));
    }
    // `teams/` is also the declarations' directory.
    needles.extend(["\"cluster/\"", "\"kubeconfigs/\"", "\"flux/\""].map(String::from));
    needles.extend(
        [
            "\"clusterrole-",
            "\"namespace-{",
            "\"team-{",
            "rbacc.kubeconfig.yaml",
        ]
        .map(String::from),
    );
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let found = lines_with(&sources, &needles);
    assert!(
        found.is_empty(),
        "out/ paths built outside src/layout.rs:\n{}",
        found.join("\n")
    );
}

/// The code map names every module of the library and the binary, every
/// script and every fixture corpus: someone new finds each in it.
#[test]
fn the_code_map_names_every_module_script_and_corpus() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let start = architecture.find("## Code map").expect("a code map");
    let end = architecture[start..]
        .find("\n## ")
        .map_or(architecture.len(), |at| start + at);
    let map = &architecture[start..end];
    let names = |dir: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let mut missing = Vec::new();
    // `src/x.rs` and `src/x/` by their path; what is inside a directory
    // (a command, a corpus, a script) by its name in that directory's row.
    for name in names("src") {
        let path = format!("`src/{}", name.trim_end_matches(".rs"));
        if !map.contains(&path) {
            missing.push(format!("src/{name}"));
        }
    }
    for (dir, inside) in [
        ("src/cmd", "`src/cmd/`"),
        ("tests/fixtures", "`tests/fixtures/`"),
    ] {
        let row = map
            .lines()
            .find(|l| l.starts_with(&format!("| {inside}")))
            .unwrap_or_else(|| panic!("a row for {inside}"));
        for name in names(dir) {
            let stem = name.trim_end_matches(".rs").trim_end_matches(".yaml");
            if !row.contains(&format!("`{stem}")) {
                missing.push(format!("{dir}/{name}"));
            }
        }
    }
    for name in names("scripts") {
        if !map.contains(&format!("`scripts/{name}`")) {
            missing.push(format!("scripts/{name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "not in ARCHITECTURE.md's code map: {missing:?}"
    );
}
