//! `-o/--output`: one vocabulary of formats over every command, and the
//! documents for machines (rbacc's JSON, SARIF 2.1.0, GitLab Code Quality),
//! read back as their consumers read them. The SARIF schema is the OASIS
//! one, vendored under `tests/schemas/` and compiled offline.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::hostile::repo_with_out;
use crate::support::{Repo, Run, copy_tree, fixtures, percent_decode, rbacc, root};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The document a run printed on stdout.
#[track_caller]
fn document(run: &Run) -> Value {
    serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", run.stdout()))
}

/// The base config and the files of bad case `case`, with an `out/` as
/// the corpus test has it.
fn bad(case: &str) -> Repo {
    let repo = repo_with_out();
    copy_tree(&fixtures().join("bad").join(case).join("repo"), repo.path());
    repo
}

/// The SARIF 2.1.0 schema (draft-04), compiled without any network or
/// file retrieval: every `$ref` in it is local.
fn sarif_validator() -> jsonschema::Validator {
    let path = root().join("tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("the vendored SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .offline()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles offline")
}

#[track_caller]
fn assert_valid_sarif(validator: &jsonschema::Validator, what: &str, doc: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: not valid SARIF 2.1.0:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

// --- The vocabulary -----------------------------------------------------

/// A value a command does not take is refused (exit 2), listing the
/// formats that command takes, and no more: the hidden `human` neither.
#[test]
fn each_command_lists_the_formats_it_takes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let diagnostics = "text, github, json, sarif, gitlab";
    for (args, formats) in [
        ("build -o yaml", diagnostics),
        ("check -o yaml", diagnostics),
        ("check --format yaml", diagnostics),
        ("codeowners -o json", "text, github"),
        ("codeowners --format json", "text, github"),
        ("diff --base HEAD -o sarif", "text, markdown, json"),
        ("diff --base HEAD --format sarif", "text, markdown, json"),
        ("can-i get pods --as alice -o sarif", "text, json"),
        ("who-can get pods -o markdown", "text, json"),
        ("access --as alice -o github", "text, json"),
        ("explain ns/x -o gitlab", "text, json"),
    ] {
        let run = rbacc(args, dir.path());
        run.expect_code(2)
            .stderr_has(&format!("[possible values: {formats}]\n"))
            .stdout_is("");
    }
}

/// `--format` is the old spelling of `-o` where it existed (`check`,
/// `codeowners`, `diff`): the same output, with a warning on stderr
/// (not with `--quiet`), hidden from help, completions and the man page,
/// and `human` is `text`.
#[test]
fn format_is_a_hidden_deprecated_spelling_of_output() {
    const WARNING: &str =
        "warning: `--format` is deprecated and will be removed: use `-o`/`--output`\n";
    let repo = bad("unknown-field");
    let new = repo.rbacc("check -o github");
    let old = repo.rbacc("check --format github");
    new.expect_code(1).stderr_lacks("deprecated");
    old.expect_code(1)
        .stdout_is(&new.stdout())
        .stderr_is(&format!("{WARNING}{}", new.stderr()));
    assert!(
        new.stdout()
            .starts_with("::error file=teams/payments.yaml,")
    );
    repo.rbacc("--quiet check --format github")
        .expect_code(1)
        .stdout_is(&new.stdout())
        .stderr_lacks("deprecated");
    let text = repo.rbacc("check -o text");
    for human in ["check --format human", "check -o human"] {
        let run = repo.rbacc(human);
        run.expect_code(1).stdout_is("");
        assert_eq!(
            run.stderr().trim_start_matches(WARNING),
            text.stderr(),
            "{human}"
        );
    }
    assert!(text.stderr().contains("unknown-field"));
    repo.rbacc("check --format github -o json")
        .expect_code(2)
        .stderr_has("cannot be used multiple times");
    repo.rbacc("codeowners --format human")
        .expect_code(1)
        .stderr_has(WARNING);

    let git = crate::diff::fixture();
    let new = git.rbacc("diff --base HEAD -o json");
    new.expect_code(0);
    git.rbacc("diff --base HEAD --format json")
        .expect_code(0)
        .stdout_is(&new.stdout())
        .stderr_has(WARNING);
    assert_eq!(document(&new)["changed"], false);

    let dir = tempfile::tempdir().expect("temp dir");
    for command in ["check", "codeowners", "diff"] {
        let help = rbacc(&[command, "--help"][..], dir.path());
        help.expect_code(0)
            .stdout_has("-o, --output <FORMAT>")
            .stdout_lacks("--format");
    }
    let man = rbacc("man", dir.path()).stdout();
    assert!(man.contains(r"\-\-output"), "the man page has -o");
    assert!(!man.contains(r"\-\-format"), "the man page has no --format");
    for shell in ["bash", "zsh", "fish"] {
        let script = rbacc(&["completions", shell][..], dir.path()).stdout();
        assert!(script.contains("output"), "{shell}: completes -o");
        assert!(
            !script.contains("--format") && !script.contains("-l format"),
            "{shell}: offers --format"
        );
    }
}

// --- JSON -----------------------------------------------------------------

/// The JSON report: every field of a diagnostic with a secondary label in
/// another file, on stdout for `check` and `build` alike, the text report
/// still on stderr and the exit codes unchanged.
#[test]
fn json_report_of_a_diagnostic_with_a_related_label() {
    let repo = bad("duplicate-team");
    let want = json!({
        "version": 1,
        "diagnostics": [{
            "code": "duplicate-team",
            "severity": "error",
            "message": "team `payments` is declared twice",
            "file": "teams/b/payments.yaml",
            "line": 4,
            "column": 9,
            "endLine": 4,
            "endColumn": 17,
            "label": "declared again here",
            "help": "each team has exactly one file under `teams/`",
            "related": [{
                "file": "teams/a/payments.yaml",
                "line": 4,
                "column": 9,
                "message": "first declared here",
            }],
        }],
        "summary": { "errors": 1, "warnings": 0 },
    });
    let check = repo.rbacc("check -o json");
    check
        .expect_code(1)
        .stderr_has("× team `payments` is declared twice");
    assert_eq!(document(&check), want);
    // Keys in the documented order, camelCase.
    let stdout = check.stdout();
    let keys = [
        "\"code\"",
        "\"severity\"",
        "\"message\"",
        "\"file\"",
        "\"line\"",
        "\"column\"",
        "\"endLine\"",
        "\"endColumn\"",
        "\"label\"",
        "\"help\"",
        "\"related\"",
        "\"summary\"",
    ];
    let at: Vec<usize> = keys.iter().map(|k| stdout.find(k).expect("key")).collect();
    assert!(at.is_sorted(), "keys out of order:\n{stdout}");
    let build = repo.rbacc("build -o json");
    build.expect_code(1).stderr_has("nothing was written");
    assert_eq!(document(&build), want);
}

/// Warnings are counted apart from errors, every diagnostic is reported in
/// the order of the text report, a missing label or help is `null`.
#[test]
fn json_report_counts_warnings_in_report_order() {
    let repo = Repo::new();
    repo.write(
        "rbacc.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Config\nspec:\n  clusters:\n    - name: only\n      server: https://kubeapi.example.com:6443\n",
    );
    for team in ["blue", "green"] {
        repo.write(
            &format!("teams/{team}.yaml"),
            format!(
                "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: {team}\nspec:\n  members:\n    viewer: {{ users: [contractor@example.com], expires: 2026-12-01 }}\n  namespaces:\n    - {team}-app\n"
            ),
        );
    }
    let build = repo.rbacc("build -o json");
    build.expect_code(0);
    let doc = document(&build);
    assert_eq!(doc["summary"], json!({ "errors": 0, "warnings": 2 }));
    let list = doc["diagnostics"].as_array().expect("a list");
    let files: Vec<&str> = list.iter().map(|d| d["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["teams/blue.yaml", "teams/green.yaml"]);
    for d in list {
        assert_eq!(d["code"], "expires-soon");
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["line"], 7);
        assert!(d["help"].is_null() || d["help"].is_string());
        assert!(d["related"].is_array());
    }
    let check = repo.rbacc("check -o json");
    check.expect_code(0);
    assert_eq!(document(&check), doc);
    // `--quiet` trims what people read, never the document.
    let quiet = repo.rbacc("--quiet check -o json");
    quiet.expect_code(0).stderr_is("");
    assert_eq!(document(&quiet), doc);
}

/// A document is printed whole when there is nothing in it, on every path
/// through `build` and `check` (the record of the last build among them),
/// so a file redirected from it always parses.
#[test]
fn documents_are_printed_when_there_is_nothing_to_report() {
    let repo = Repo::example();
    let empty =
        json!({ "version": 1, "diagnostics": [], "summary": { "errors": 0, "warnings": 0 } });
    assert_eq!(document(repo.rbacc("build -o json").expect_code(0)), empty);
    // Again, from the record of the last build, and by comparing.
    assert_eq!(document(repo.rbacc("build -o json").expect_code(0)), empty);
    assert_eq!(document(repo.rbacc("check -o json").expect_code(0)), empty);
    let _ = std::fs::remove_file(repo.path().join(".out.rbacc-state"));
    assert_eq!(
        document(repo.rbacc("-q check -o json").expect_code(0)),
        empty
    );
    repo.rbacc("check -o gitlab")
        .expect_code(0)
        .stdout_is("[]\n");
    let sarif = document(repo.rbacc("check -o sarif").expect_code(0));
    assert_valid_sarif(&sarif_validator(), "no findings", &sarif);
    assert_eq!(sarif["runs"][0]["results"], json!([]));
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["rules"], json!([]));
    // The other formats print nothing on stdout.
    repo.rbacc("check -o github").expect_code(0).stdout_is("");
    repo.rbacc("check").expect_code(0).stdout_is("");
}

/// `check` reports every file of `out/` that is not what `build` writes as
/// a diagnostic of its own, after the compilation's, in the order of the
/// text report (missing, differs, stale, foreign); the text report and the
/// annotation stay as they were.
#[test]
fn check_reports_stale_and_foreign_output_files() {
    let repo = Repo::example();
    repo.rbacc("build").expect_code(0);
    let out = repo.out();
    let tree = crate::support::read_tree(&out);
    let mut generated = tree.keys().filter(|p| p.ends_with(".yaml"));
    let (missing, differs) = (
        generated.next().expect("a file").clone(),
        generated.next().expect("another").clone(),
    );
    std::fs::remove_file(out.join(&missing)).expect("remove");
    let mut changed = tree[&differs].clone();
    changed.extend(b"# edited\n");
    std::fs::write(out.join(&differs), changed).expect("edit");
    // A generated file (rbacc's header) that no declaration gives.
    let stale = "prod/teams/gone/kustomization.yaml";
    std::fs::create_dir_all(out.join("prod/teams/gone")).expect("dir");
    std::fs::write(out.join(stale), &tree[&differs]).expect("stale");
    std::fs::write(out.join("notes.txt"), "hand-written\n").expect("foreign");

    let run = repo.rbacc("check -o json");
    run.expect_code(1)
        .stderr_has(&format!("  missing  {missing}\n"))
        .stderr_has(&format!("  differs  {differs}\n"))
        .stderr_has(&format!("  stale    {stale}\n"))
        .stderr_has("  foreign  notes.txt\n");
    let doc = document(&run);
    let got: Vec<(&str, &str, &str)> = doc["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| {
            assert_eq!(d["severity"], "error");
            assert_eq!(
                (d["line"].as_u64(), d["column"].as_u64()),
                (Some(1), Some(1))
            );
            assert!(d["help"].is_string());
            (
                d["code"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    let file = |rel: &str| format!("out/{rel}");
    let want = [
        (
            "stale-output",
            file(&missing),
            format!(
                "`{}` is missing: `rbacc build` would write it",
                file(&missing)
            ),
        ),
        (
            "stale-output",
            file(&differs),
            format!("`{}` is not what `rbacc build` writes", file(&differs)),
        ),
        (
            "stale-output",
            file(stale),
            format!(
                "`{}` is left from declarations that are gone: `rbacc build` would remove it",
                file(stale)
            ),
        ),
        (
            "foreign-output",
            file("notes.txt"),
            "`out/notes.txt` was not written by rbacc".to_string(),
        ),
    ];
    let want: Vec<(&str, &str, &str)> = want
        .iter()
        .map(|(c, f, m)| (*c, f.as_str(), m.as_str()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(doc["summary"], json!({ "errors": 4, "warnings": 0 }));

    let sarif = document(repo.rbacc("check -o sarif").expect_code(1));
    assert_valid_sarif(&sarif_validator(), "stale out/", &sarif);
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["foreign-output", "stale-output"]);
    let gitlab = document(repo.rbacc("check -o gitlab").expect_code(1));
    assert_eq!(gitlab.as_array().map(Vec::len), Some(4));
    // One annotation for `out/` as a whole, first, so that it is among
    // those GitHub shows whatever follows.
    let github = repo.rbacc("check -o github").expect_code(1).stdout();
    assert!(
        github.starts_with("::error title=stale-output::")
            && github.matches("title=stale-output").count() == 1,
        "{github}"
    );
}

/// With `--out` outside the repository, a stale file is named by its
/// absolute path, and SARIF gives it as a `file://` URI of its own.
#[test]
fn stale_output_outside_the_repository_is_named_by_its_absolute_path() {
    let repo = Repo::example();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let out = elsewhere.path().join("out dir");
    let out_arg = out.to_str().expect("UTF-8");
    repo.rbacc(&["build", "--out", out_arg]).expect_code(0);
    std::fs::write(out.join("notes.txt"), "hand-written\n").expect("foreign");
    let run = repo.rbacc(&["check", "--out", out_arg, "-o", "sarif"]);
    let sarif = document(run.expect_code(1));
    assert_valid_sarif(&sarif_validator(), "--out elsewhere", &sarif);
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    let uri = location["artifactLocation"]["uri"].as_str().expect("a URI");
    let absolute = out.canonicalize().expect("canonical").join("notes.txt");
    assert_eq!(
        uri.strip_prefix("file://").map(percent_decode).as_deref(),
        absolute.to_str(),
        "{uri}"
    );
    assert!(uri.contains("out%20dir"), "{uri}");
    assert!(location["artifactLocation"]["uriBaseId"].is_null());
}

// --- SARIF --------------------------------------------------------------------

/// The SARIF of bad fixtures is valid SARIF 2.1.0, names every code it
/// uses as a rule (with its summary and its section of
/// docs/diagnostics.md), and points at files of the repository.
#[test]
fn sarif_of_bad_fixtures_is_valid() {
    let validator = sarif_validator();
    let docs = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs");
    let mut cases: Vec<String> = std::fs::read_dir(fixtures().join("bad"))
        .expect("bad fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let mut codes = BTreeSet::new();
    for case in &cases {
        let repo = bad(case);
        let run = repo.rbacc("check -o sarif");
        run.expect_code(1);
        let sarif = document(&run);
        assert_valid_sarif(&validator, case, &sarif);
        let json = document(repo.rbacc("check -o json").expect_code(1));
        check_sarif(case, &sarif, &json, repo.path(), &docs);
        for d in json["diagnostics"].as_array().unwrap() {
            codes.insert(d["code"].as_str().unwrap().to_string());
        }
        // The same input gives the same bytes.
        repo.rbacc("check -o sarif").stdout_is(&run.stdout());
    }
    assert!(cases.len() >= 50 && codes.len() >= 30, "{codes:?}");
}

/// `sarif` agrees with the JSON report `json` of the same run.
#[track_caller]
fn check_sarif(case: &str, sarif: &Value, json: &Value, repo: &Path, docs: &str) {
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{case}: one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "rbacc");
    assert_eq!(driver["version"], VERSION);
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_REPOSITORY"));
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let results = run["results"].as_array().expect("results");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(results.len(), diagnostics.len(), "{case}: one result each");
    let used: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        used.iter().copied().collect::<Vec<_>>(),
        "{case}: rules are the codes used, sorted"
    );
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!(
                "{}/blob/v{VERSION}/docs/diagnostics.md#{id}",
                env!("CARGO_PKG_REPOSITORY")
            ),
        );
        assert!(docs.contains(&format!("\n## {id}\n")), "{id} is documented");
        let summary = rule["shortDescription"]["text"].as_str().unwrap();
        assert!(
            summary.ends_with('.') && !summary.is_empty(),
            "{id}: {summary:?}"
        );
    }
    for (result, d) in results.iter().zip(diagnostics) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{case}: ruleIndex");
        assert_eq!(result["ruleId"], d["code"]);
        assert_eq!(result["level"], d["severity"]);
        let text = result["message"]["text"].as_str().unwrap();
        // Forges show it to people: the message as the text report shows it.
        let message = rbacc::text::visible(d["message"].as_str().unwrap()).into_owned();
        assert!(text.starts_with(&message), "{case}: {text}");
        let location = &result["locations"][0]["physicalLocation"];
        let artifact = &location["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        let uri = artifact["uri"].as_str().unwrap();
        assert_eq!(percent_decode(uri), d["file"].as_str().unwrap(), "{case}");
        assert!(
            repo.join(percent_decode(uri)).exists() || d["code"] == "invalid-path",
            "{case}: {uri} is a file of the repository"
        );
        let region = &location["region"];
        assert_eq!(region["startLine"], d["line"]);
        assert_eq!(region["endLine"], d["endLine"]);
        assert!(region["startColumn"].as_u64() >= Some(1));
        let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
        assert_eq!(related, d["related"].as_array().unwrap().len(), "{case}");
        let fingerprint = result["partialFingerprints"]["rbacc/v1"].as_str().unwrap();
        assert_eq!(fingerprint.len(), 64);
    }
}

/// The schema is no formality: documents that break it fail it.
#[test]
fn the_sarif_schema_rejects_broken_logs() {
    let validator = sarif_validator();
    let repo = bad("duplicate-team");
    let good = document(repo.rbacc("check -o sarif").expect_code(1));
    assert!(validator.is_valid(&good));
    let mut wrong_level = good.clone();
    wrong_level["runs"][0]["results"][0]["level"] = json!("fatal");
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("version");
    let mut bad_uri = good.clone();
    bad_uri["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = json!("not a uri");
    for (what, doc) in [
        ("level", wrong_level),
        ("version", no_version),
        ("helpUri", bad_uri),
    ] {
        assert!(!validator.is_valid(&doc), "{what}: accepted");
    }
}

/// JSON counts columns in characters, SARIF in UTF-16 code units (and says
/// so): past a character outside the BMP on the same line, they differ.
#[test]
fn columns_count_characters_in_json_and_utf16_units_in_sarif() {
    let repo = Repo::copy_of(&fixtures().join("base"));
    repo.write(
        "teams/payments.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata: { name: payments, \"🔑\": 1 }\nspec:\n  namespaces: [payments-prod]\n",
    );
    let json = document(repo.rbacc("check -o json").expect_code(1));
    let sarif = document(repo.rbacc("check -o sarif").expect_code(1));
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "unknown-field");
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    // `"🔑"` starts at character 29; the key is three characters, four
    // UTF-16 units.
    assert_eq!(
        (
            d["line"].as_u64(),
            d["column"].as_u64(),
            d["endColumn"].as_u64()
        ),
        (Some(3), Some(29), Some(32))
    );
    assert_eq!(
        (
            region["startLine"].as_u64(),
            region["startColumn"].as_u64(),
            region["endColumn"].as_u64()
        ),
        (Some(3), Some(29), Some(33))
    );
}

// --- GitLab Code Quality ------------------------------------------------------

/// Two team files with an unknown field each.
fn two_bad_teams() -> Repo {
    let repo = Repo::copy_of(&fixtures().join("base"));
    for team in ["payments", "search"] {
        repo.write(
            &format!("teams/{team}.yaml"),
            format!("apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: {team}\n  colour: blue\nspec:\n  namespaces: [{team}-prod]\n"),
        );
    }
    repo
}

/// The Code Quality report: exactly the fields GitLab reads, the severity
/// GitLab ranks (`major` errors, `minor` warnings), and fingerprints that
/// stay while a finding stays where it is, and change with its position.
#[test]
fn gitlab_code_quality_shape_and_stable_fingerprints() {
    let repo = two_bad_teams();
    let first = repo.rbacc("check -o gitlab");
    first.expect_code(1);
    repo.rbacc("check -o gitlab").stdout_is(&first.stdout());
    let issues = document(&first);
    let json = document(repo.rbacc("check -o json").expect_code(1));
    let issues = issues.as_array().expect("an array");
    assert_eq!(issues.len(), 2);
    for (issue, d) in issues.iter().zip(json["diagnostics"].as_array().unwrap()) {
        let keys: Vec<&str> = issue
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "check_name",
                "description",
                "fingerprint",
                "location",
                "severity"
            ]
        );
        assert_eq!(issue["check_name"], "unknown-field");
        assert_eq!(issue["check_name"], d["code"]);
        assert_eq!(issue["description"], d["message"]);
        assert_eq!(issue["severity"], "major");
        assert_eq!(
            issue["location"],
            json!({ "path": d["file"], "lines": { "begin": d["line"] } })
        );
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    assert_eq!(issues[0]["location"]["path"], "teams/payments.yaml");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 5);

    // A line added above the finding in one file moves it: its fingerprint
    // changes, the other file's does not.
    let path = repo.path().join("teams/payments.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("# the payments squad\n{text}")).expect("write");
    let moved = document(repo.rbacc("check -o gitlab").expect_code(1));
    assert_eq!(moved[0]["location"]["lines"]["begin"], 6);
    assert_ne!(moved[0]["fingerprint"], issues[0]["fingerprint"]);
    assert_eq!(moved[1]["fingerprint"], issues[1]["fingerprint"]);

    // Warnings are minor.
    let repo = Repo::copy_of(&fixtures().join("base"));
    repo.write(
        "teams/payments.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  members:\n    viewer: { users: [contractor@example.com], expires: 2026-12-01 }\n  namespaces: [payments-prod]\n",
    );
    let warnings = document(repo.rbacc("build -o gitlab").expect_code(0));
    assert_eq!(warnings[0]["severity"], "minor");
    assert_eq!(warnings[0]["check_name"], "expires-soon");
}

/// docs/output.md shows the JSON report and the Code Quality report of the
/// `duplicate-team` case as rbacc prints them.
#[test]
fn docs_show_the_documents_as_printed() {
    let docs = std::fs::read_to_string(root().join("docs/output.md")).expect("docs/output.md");
    let repo = bad("duplicate-team");
    for format in ["json", "gitlab"] {
        let stdout = repo.rbacc(&["check", "-o", format]).stdout();
        assert!(
            docs.contains(&format!("```json\n{stdout}```\n")),
            "docs/output.md does not show `check -o {format}` as printed:\n{stdout}"
        );
    }
}
