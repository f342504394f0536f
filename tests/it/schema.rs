//! `rbacc schema`: the committed schemas and the README's input reference
//! are current, every example file validates against its schema, the
//! examples name their schema, and broken files are rejected.

use std::path::{Path, PathBuf};

use rbacc::schema::Document;
use serde_json::Value;

use crate::support::{assert_text, bless, fixtures, rbacc, root};

const MODELINE: &str = "# yaml-language-server: $schema=";

fn argument(document: Document) -> &'static str {
    match document {
        Document::Team => "team",
        Document::Config => "config",
    }
}

/// `schema/*.json` is what `rbacc schema` prints: valid JSON Schema, the
/// same on every run, with a final newline. Without an argument it prints
/// the team file's.
#[test]
fn committed_schemas_are_current() {
    let dir = tempfile::tempdir().expect("tmp");
    for document in Document::ALL {
        let run = rbacc(&["schema", argument(document)], dir.path());
        run.expect_code(0);
        let text = run.stdout();
        assert!(text.ends_with("}\n"), "{text}");
        assert_eq!(
            text,
            rbacc(&["schema", argument(document)], dir.path()).stdout()
        );
        let schema: Value = serde_json::from_str(&text).expect("JSON");
        assert!(
            jsonschema::meta::is_valid(&schema),
            "{document:?}: not a valid JSON Schema"
        );
        assert_text(&text, &root().join(document.path()));
    }
    assert_eq!(
        rbacc(&["schema"], dir.path()).stdout(),
        rbacc(&["schema", "team"], dir.path()).stdout()
    );
    rbacc(&["schema", "teams"], dir.path()).expect_code(2);
}

const BEGIN: &str = "<!-- input-reference:begin";
const END: &str = "<!-- input-reference:end -->";

/// The README's input reference is generated from the schemas.
#[test]
fn readme_input_reference_is_current() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README");
    let start = readme.find(BEGIN).expect("begin marker");
    let start = start + readme[start..].find("-->\n").expect("end of begin marker") + 4;
    let end = readme.find(END).expect("end marker");
    let generated = rbacc::schema::reference();
    if bless() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).expect("write README");
        return;
    }
    if readme[start..end] != generated {
        let diff = similar::TextDiff::from_lines(&readme[start..end], &generated);
        panic!(
            "README.md's input reference differs from the schemas (RBACC_BLESS=1 to update after review):\n{}",
            diff.unified_diff().header("README.md", "generated")
        );
    }
}

/// `rbacc.yaml` and the team files below `dir`.
fn declarations(dir: &Path) -> Vec<(Document, PathBuf)> {
    let mut files = vec![(Document::Config, dir.join("rbacc.yaml"))];
    for entry in walkdir::WalkDir::new(dir.join("teams")).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.path().extension().is_some_and(|e| e == "yaml") {
            files.push((Document::Team, entry.into_path()));
        }
    }
    files
}

/// The schema as `rbacc schema` prints it (and `schema/` holds it).
fn validator(document: Document) -> jsonschema::Validator {
    jsonschema::validator_for(&rbacc::schema::schema(document)).expect("a valid schema")
}

/// The errors the schema finds in a YAML text.
fn problems(document: Document, text: &str) -> Vec<String> {
    let value: Value = serde_saphyr::from_str(text).expect("YAML");
    validator(document)
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Every declaration this project ships, as examples or fixtures, and the
/// files `rbacc init` writes, pass the schema.
#[test]
fn example_files_pass_the_schema() {
    let mut files = declarations(&root());
    for case in std::fs::read_dir(fixtures().join("ok")).expect("ok fixtures") {
        files.extend(declarations(&case.expect("entry").path().join("repo")));
    }
    files.push((Document::Config, fixtures().join("base/rbacc.yaml")));
    let mut checked = 0;
    for (document, path) in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let found = problems(document, &text);
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} files checked");
    let scaffold = rbacc::init::scaffold(rbacc::init::PLACEHOLDER_URL);
    for (document, path) in [
        (Document::Config, "rbacc.yaml"),
        (Document::Team, "teams/example.yaml"),
    ] {
        let found = problems(document, &scaffold[path]);
        assert!(found.is_empty(), "init's {path}: {found:#?}");
    }
}

/// Files rbacc refuses for their shape, the schema refuses too.
#[test]
fn broken_files_fail_the_schema() {
    for case in [
        "unknown-field",
        "wrong-type",
        "missing-field",
        "config-wrong-type",
        "unsupported-kind",
    ] {
        let repo = fixtures().join("bad").join(case).join("repo");
        let mut files: Vec<(Document, PathBuf)> = declarations(&repo);
        files.retain(|(_, path)| path.exists());
        assert!(!files.is_empty(), "{case}: no files");
        for (document, path) in files {
            let text = std::fs::read_to_string(&path).expect("read");
            assert!(
                !problems(document, &text).is_empty(),
                "{case}: {} passes the schema",
                path.display()
            );
        }
    }
    // One problem of each kind, each found where it is.
    let team = "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata: { name: x }\nspec:\n";
    for (spec, at) in [
        ("  member: { admin: { groups: [a] } }\n", "/spec"),
        (
            "  members: { admin: { group: [a] } }\n",
            "/spec/members/admin",
        ),
        (
            "  members: { admin: { groups: a } }\n",
            "/spec/members/admin/groups",
        ),
        (
            "  members: { admin: { groups: [42] } }\n",
            "/spec/members/admin/groups/0",
        ),
        // A namespace is a name or a mapping: either form may be wrong.
        (
            "  namespaces: [{ name: x-a, podSecurty: restricted }]\n",
            "/spec/namespaces/0",
        ),
        (
            "  namespaces: [{ name: x-a, podSecurity: strict }]\n",
            "/spec/namespaces/0",
        ),
        (
            "  namespaces: [{ clusters: [prod] }]\n",
            "/spec/namespaces/0",
        ),
        ("  namespaces: [42]\n", "/spec/namespaces/0"),
    ] {
        let found = problems(Document::Team, &format!("{team}{spec}"));
        assert!(
            found.iter().any(|p| p.starts_with(&format!("{at}: "))),
            "{spec}: {found:#?}"
        );
    }
    let config = "apiVersion: rbacc.dev/v1alpha1\nkind: Config\nspec:\n  clusters: [{ name: a, server: https://a }]\n";
    for (more, at) in [
        (
            "  defaults: { podSecurity: strict }\n",
            "/spec/defaults/podSecurity",
        ),
        (
            "  policy: { namespacePrefix: always }\n",
            "/spec/policy/namespacePrefix",
        ),
        (
            "  policy: { forbidClusterAdmin: \"yes\" }\n",
            "/spec/policy/forbidClusterAdmin",
        ),
        (
            "  roles: [{ name: r, rules: [{ apiGroups: [''], resources: [pods], verbs: [] }] }]\n",
            "/spec/roles/0/rules/0/verbs",
        ),
        (
            "  roles: [{ name: r, rules: [], allow: [everything] }]\n",
            "/spec/roles/0/allow/0",
        ),
        (
            "  kubeconfig: { template: pinniped, namspace: k }\n",
            "/spec/kubeconfig",
        ),
        (
            "  gitops: { flux: { sourceRef: [a] } }\n",
            "/spec/gitops/flux/sourceRef",
        ),
    ] {
        let found = problems(Document::Config, &format!("{config}{more}"));
        assert!(
            found.iter().any(|p| p.starts_with(&format!("{at}: "))),
            "{more}: {found:#?}"
        );
    }
    // The shape is right; the rest is for `rbacc check`: a custom role, a
    // custom template, a namespace on no cluster, empty lists.
    let found = problems(
        Document::Team,
        &format!(
            "{team}  members:\n  namespaces:\n    - {{ name: x-a, clusters: [], grants: [{{ role: mine, groups: [g] }}] }}\n    - x-b\n"
        ),
    );
    assert!(found.is_empty(), "{found:#?}");
    let found = problems(
        Document::Config,
        &format!("{config}  kubeconfig: {{ template: mine }}\n  policy:\n  roles:\n"),
    );
    assert!(found.is_empty(), "{found:#?}");
}

/// The examples and the files `rbacc init` writes name their schema in
/// their first line, by a path that leads to it.
#[test]
fn declarations_name_their_schema() {
    for (document, path) in declarations(&root()) {
        let text = std::fs::read_to_string(&path).expect("read");
        let target = modeline(&text)
            .unwrap_or_else(|| panic!("{}: no schema in the first line", path.display()));
        let named = path.parent().expect("dir").join(target);
        assert_eq!(
            std::fs::canonicalize(&named).expect("the schema exists"),
            root().join(document.path()),
            "{}",
            path.display()
        );
    }
    let scaffold = rbacc::init::scaffold(rbacc::init::PLACEHOLDER_URL);
    for (document, path) in [
        (Document::Config, "rbacc.yaml"),
        (Document::Team, "teams/example.yaml"),
    ] {
        let target = modeline(&scaffold[path]).expect("init's files name their schema");
        let dir = Path::new(path).parent().expect("dir");
        let mut named = PathBuf::new();
        for part in dir.join(target).components() {
            match part {
                std::path::Component::ParentDir => {
                    named.pop();
                }
                other => named.push(other),
            }
        }
        assert_eq!(named, Path::new(document.path()), "{path}");
        assert_eq!(scaffold[document.path()], rbacc::schema::text(document));
    }
}

fn modeline(text: &str) -> Option<&str> {
    text.lines().next()?.strip_prefix(MODELINE)
}
