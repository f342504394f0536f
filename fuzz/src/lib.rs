//! What the fuzz targets share: the fixed, valid files each target compiles
//! the fuzzed file with, and the invariants checked on every compilation.
//!
//! Every target runs what the binary runs on untrusted input: `compile`,
//! then rendering its diagnostics for people and for GitHub annotations. A
//! panic anywhere, or a broken invariant (a panic here), is a finding.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use rbacc::Compilation;
use rbacc::load::{Input, InputFile};
use rbacc::report::{self, Style};

mod team_path;
pub use team_path::team_path;

/// A valid config: two clusters, a custom role, and kubeconfigs from the
/// built-in `oidc-kubelogin` template. The fixed files live with the kept
/// inputs in `tests/fixtures/fuzz/base/`, where the regression tests
/// (tests/it/fuzz_regressions.rs) read them too.
pub const CONFIG: &str = include_str!("../../tests/fixtures/fuzz/base/rbacc.yaml");

/// The clusters [`CONFIG`] declares.
pub const CONFIG_CLUSTERS: &[&str] = &["prod", "staging"];

/// The date every fuzzed input is judged on, so that `expires` dates
/// around it reach both sides of an expiry.
pub const TODAY: rbacc::clock::Date = rbacc::clock::Date::constant(2026, 11, 23);

/// A valid team that other teams may name in grants, with namespaces on
/// both clusters, the custom role, a service account and a grant.
pub const TEAM_SRE: &str = include_str!("../../tests/fixtures/fuzz/base/teams/sre.yaml");

/// A valid team that needs nothing of the config but one cluster (built-in
/// roles, namespaces on every cluster): the fixed team of `compile_config`.
pub const TEAM_PLATFORM: &str = include_str!("../../tests/fixtures/fuzz/base/teams/platform.yaml");

/// A team whose description and contacts need quoting, for templates that
/// print them: the second team of `compile_template`.
pub const TEAM_WEB: &str = include_str!("../../tests/fixtures/fuzz/base/teams/web.yaml");

/// The path of [`TEAM_SRE`].
pub const TEAM_SRE_PATH: &str = "teams/sre.yaml";

/// The fixed team file.
pub fn sre() -> InputFile {
    file(TEAM_SRE_PATH, TEAM_SRE.as_bytes())
}

pub fn platform() -> InputFile {
    file("teams/platform.yaml", TEAM_PLATFORM.as_bytes())
}

pub fn web() -> InputFile {
    file("teams/web.yaml", TEAM_WEB.as_bytes())
}

pub fn file(path: &str, bytes: &[u8]) -> InputFile {
    InputFile {
        path: path.to_string(),
        contents: Ok(bytes.to_vec()),
    }
}

/// Whether to print each compilation's diagnostics (`RBACC_FUZZ_VERBOSE=1`),
/// to see how far an input gets when replaying it.
fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("RBACC_FUZZ_VERBOSE").is_some_and(|v| v == "1"))
}

/// Compiles `input` as the binary does, renders the diagnostics as the
/// binary does, and checks the invariants every compilation must hold.
/// `clusters` are the cluster names the config declares, when known.
pub fn compile_and_check(input: &Input, clusters: &[&str]) -> Compilation {
    let compilation = rbacc::build(input);
    let errors = compilation.diagnostics.has_errors();
    match &compilation.output {
        Some(output) => {
            assert!(!errors, "output despite errors");
            check_output(&output.files, clusters);
        }
        None => assert!(errors, "no output, yet no error diagnostic"),
    }
    let style = Style {
        color: false,
        width: 100,
    };
    let text = report::render(&compilation.diagnostics, &compilation.sources, style, None);
    if verbose() {
        let files = compilation.output.as_ref().map_or(0, |o| o.files.len());
        eprintln!("{text}-- {files} output files");
    }
    if errors {
        assert!(!text.is_empty(), "errors rendered as nothing");
    }
    let _ = report::render(
        &compilation.diagnostics,
        &compilation.sources,
        Style {
            color: true,
            width: 80,
        },
        Some(3),
    );
    let github = report::render_github(&compilation.diagnostics, &compilation.sources);
    for line in github.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("rbacc: "),
            "an annotation spans lines (a newline was not escaped): {line:?}"
        );
    }
    compilation
}

/// The invariants of a successful compilation's files: no path can leave
/// `out/` or land outside a declared cluster's directory, and every file
/// carries the header that lets `build` prune it (and only it).
fn check_output(files: &std::collections::BTreeMap<String, String>, clusters: &[&str]) {
    assert!(!files.is_empty(), "a successful compilation with no files");
    let clusters: BTreeSet<&str> = clusters.iter().copied().collect();
    for (path, contents) in files {
        assert!(
            !path.is_empty() && !path.starts_with('/') && !path.contains('\\'),
            "output path {path:?} is not relative"
        );
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts {
            assert!(
                !part.is_empty() && *part != "." && *part != "..",
                "output path {path:?} has an empty, `.` or `..` component"
            );
            assert!(
                !part.chars().any(|c| c.is_control()),
                "output path {path:?} has a control character"
            );
        }
        assert!(
            parts.len() >= 2 && clusters.contains(parts[0]),
            "output path {path:?} is not below a declared cluster ({clusters:?})"
        );
        assert!(
            contents.starts_with("# Generated by rbacc"),
            "{path} does not start with the generated header"
        );
        let header = contents.lines().next().unwrap_or_default();
        assert!(
            rbacc::emit::is_generated(contents.as_bytes()),
            "{path}: is_generated disagrees with the header {header:?}"
        );
    }
}

/// Kubeconfig fields that would hold a credential.
pub const SECRET_FIELDS: &[&str] = &[
    "token",
    "password",
    "client-key-data",
    "client-certificate-data",
];

/// Asserts that no kubeconfig in `files` sets a credential field: the
/// people's copies (`<cluster>/kubeconfigs/<team>.yaml`) and the ConfigMaps
/// (`<cluster>/teams/<team>/rbacc.kubeconfig.yaml`), whose data is the same
/// kubeconfig as a string. Parsed independently of rbacc's own check.
pub fn assert_no_credentials(files: &std::collections::BTreeMap<String, String>) {
    for (path, contents) in files {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() == 3 && parts[1] == "kubeconfigs" {
            let doc: serde_json::Value = serde_saphyr::from_str(contents)
                .unwrap_or_else(|e| panic!("{path}: emitted kubeconfig is not YAML: {e}"));
            assert_clean(path, &doc);
        } else if path.ends_with("/rbacc.kubeconfig.yaml") {
            let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(contents)
                .unwrap_or_else(|e| panic!("{path}: emitted objects are not YAML: {e}"));
            for doc in docs.iter().filter(|d| d["kind"] == "ConfigMap") {
                for value in doc["data"].as_object().into_iter().flatten() {
                    let text = value.1.as_str().expect("ConfigMap data are strings");
                    let kubeconfig: serde_json::Value = serde_saphyr::from_str(text)
                        .unwrap_or_else(|e| {
                            panic!("{path}: kubeconfig in the ConfigMap is not YAML: {e}")
                        });
                    assert_clean(path, &kubeconfig);
                }
            }
        }
    }
}

fn assert_clean(path: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let empty = v.is_null() || v.as_str().is_some_and(str::is_empty);
                assert!(
                    !(SECRET_FIELDS.contains(&key.as_str()) && !empty),
                    "{path}: a kubeconfig sets `{key}` to {v}"
                );
                assert_clean(path, v);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                assert_clean(path, item);
            }
        }
        _ => {}
    }
}
