//! `rbacc report`: the access page, rendered by a real browser (headless
//! Chromium, Debian's `chromium`, which `scripts/test` installs), and its
//! JSON.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{Repo, fixtures};

const TODAY: &str = "2026-01-10";

fn fixture() -> Repo {
    Repo::copy_of(&fixtures().join("report/repo"))
}

fn page(repo: &Repo) -> String {
    repo.rbacc_on(TODAY, "report").expect_code(0).stdout()
}

fn json(repo: &Repo) -> Value {
    let text = repo
        .rbacc_on(TODAY, "report -o json")
        .expect_code(0)
        .stdout();
    serde_json::from_str(&text).expect("the JSON report parses")
}

/// The browser: `$CHROMIUM`, else `chromium` on the `PATH`.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    found.expect("headless Chromium is needed (`apt-get install chromium`; scripts/test installs it), or set CHROMIUM")
}

/// Runs headless Chromium on `url` with a fresh profile and no network
/// services, with `extra` arguments; returns stdout.
fn browse(url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 DOM")
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The rows (`<tr data-team=…>`) of a dumped DOM, each with whether it is
/// hidden.
fn rows(dom: &str) -> Vec<(String, bool)> {
    dom.split("<tr ")
        .skip(1)
        .filter(|r| r.starts_with("data-team="))
        .map(|r| {
            let tag = &r[..r.find('>').expect("a tag end")];
            let team = tag
                .split("data-team=\"")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .unwrap_or_default()
                .to_string();
            (team, tag.contains(" hidden"))
        })
        .collect()
}

/// The fixture's page, as a browser shows it: every team, namespace,
/// subject, risk finding with its reason, and expiry date.
#[test]
fn the_page_shows_the_organisation_in_a_browser() {
    let repo = fixture();
    let html = page(&repo);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("access.html");
    std::fs::write(&path, &html).expect("write the page");
    let dom = browse(&file_url(&path), &["--dump-dom"]);
    for text in [
        "payments",
        "web",
        "payments-prod",
        "payments-dev",
        "web-prod",
        "web-dev",
        "Group payments-devs",
        "User contractor@example.com",
        "ServiceAccount payments-prod/ci-deployer",
        "User auditor@example.com",
        "Who can read Secrets",
        "Who can exec into pods",
        "Who can create pods",
        "Who can escalate",
        "deployments read the payment provider's API keys",
        "leads debug production incidents",
        "2026-02-15",
        "2026-03-31",
        "36 days",
        "teams/payments.yaml:8",
        "Cluster prod",
        "Cluster staging",
    ] {
        let shown = text.replace('\'', "&#x27;");
        assert!(
            dom.contains(text) || dom.contains(&shown),
            "the page does not show {text:?}"
        );
    }
    // Nothing filtered without a filter.
    let all = rows(&dom);
    assert!(all.len() > 20, "{}", all.len());
    assert!(all.iter().all(|(_, hidden)| !hidden));

    // The filter, from the address: only the web team's rows stay.
    let dom = browse(
        &format!("{}#filter=team:web", file_url(&path)),
        &["--dump-dom"],
    );
    let filtered = rows(&dom);
    assert_eq!(filtered.len(), all.len());
    assert!(
        filtered
            .iter()
            .any(|(team, hidden)| team == "web" && !hidden)
    );
    for (team, hidden) in &filtered {
        assert_eq!(*hidden, team != "web", "{team}");
    }
    assert!(dom.contains("data-filter=\"web\""), "the script ran");
    // By subject, from the query string: the contractor's rows only.
    let dom = browse(
        &format!("{}?filter=contractor", file_url(&path)),
        &["--dump-dom"],
    );
    let shown: Vec<&str> = dom
        .split("<tr ")
        .skip(1)
        .filter(|r| r.starts_with("data-team=") && !r[..r.find('>').unwrap()].contains(" hidden"))
        .collect();
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|r| r.contains("contractor@example.com")));

    // A screenshot, kept for people to look at.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("access-report.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &file_url(&path),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,1800",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
}

/// The page loads nothing: a policy that allows only its own inline style
/// and script, by hash; no address anywhere but its own anchors.
#[test]
fn the_page_is_self_contained() {
    let repo = fixture();
    let html = page(&repo);
    let inline = |open: &str, close: &str| -> String {
        let start = html.find(open).expect("the element") + open.len();
        let end = start + html[start..].find(close).expect("its end");
        html[start..end].to_string()
    };
    let hash = |text: &str| {
        let digest = Sha256::digest(text.as_bytes());
        format!("'sha256-{}'", base64(&digest))
    };
    let script = inline("<script>", "</script>");
    let style = inline("<style>", "</style>");
    let csp = inline(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"",
        "\">",
    );
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    assert!(
        csp.contains(&format!("script-src {};", hash(&script))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("style-src {};", hash(&style))),
        "{csp}"
    );
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("<style").count(), 1);
    for external in [
        "src=", "http://", "https://", "url(", "@import", "<link", "<img",
    ] {
        assert!(!html.contains(external), "the page holds {external:?}");
    }
    assert!(html.contains("@media print"));
    // Deterministic: the same input, the same bytes.
    assert_eq!(page(&repo), html);
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The JSON holds what the page shows.
#[test]
fn json_holds_the_same_data() {
    let repo = fixture();
    let report = json(&repo);
    assert_eq!(report["version"], 1);
    assert_eq!(report["today"], TODAY);
    assert_eq!(report["totals"]["teams"], 2);
    let ids: Vec<&str> = report["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["secrets", "pods-exec", "pods-create", "escalate"]);
    let secrets = &report["capabilities"][0]["entries"];
    let devs = secrets
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["subject"] == "Group payments-devs" && e["namespace"] == "payments-prod")
        .expect("the developers read Secrets in payments-prod");
    assert_eq!(devs["role"], "deployer");
    assert_eq!(devs["request"], "get secrets");
    assert_eq!(
        devs["reason"],
        "deployments read the payment provider's API keys"
    );
    assert_eq!(devs["declaration"]["file"], "teams/payments.yaml");
    let expiring: Vec<(&str, &str)> = report["expiring"]
        .as_array()
        .expect("expiring")
        .iter()
        .map(|e| {
            (
                e["expires"].as_str().unwrap(),
                e["binding"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        expiring,
        [
            ("2026-02-15", "payments-deployer"),
            ("2026-02-15", "payments-deployer"),
            ("2026-03-31", "grant-viewer"),
            ("2026-03-31", "web-viewer"),
        ]
    );
    assert_eq!(report["expiring"][0]["daysLeft"], 36);
    let page = page(&repo);
    for finding in report["findings"].as_array().expect("findings") {
        if let Some(reason) = finding["allowed"]["reason"].as_str() {
            assert!(page.contains(&reason.replace('\'', "&#x27;")), "{reason}");
        }
    }
}

/// Names and reasons that are markup in HTML render as text: the page
/// holds only its own elements, and the browser shows the values.
#[test]
fn hostile_names_and_reasons_render_as_text() {
    let repo = fixture();
    let hostile = [
        "</style><script>alert(1)</script>",
        "\"><img src=x onerror=alert(2)>",
        "' onmouseover='alert(3)",
        "</td></tr></table><h1>owned</h1>",
        "<!-- comment",
        "{{ 7 * 7 }}",
    ];
    let reasons: String = hostile
        .iter()
        .map(|r| {
            format!(
                "    - {{ risk: pods-exec, role: admin, reason: {} }}\n",
                yaml(r)
            )
        })
        .collect();
    let text = std::fs::read_to_string(repo.path().join("teams/web.yaml")).expect("team");
    let users: Vec<String> = hostile.iter().map(|h| yaml(h)).collect();
    let text = text
        .replace(
            "    deployer: { groups: [web-devs] }\n",
            &format!(
                "    deployer: {{ groups: [web-devs], users: [{}] }}\n",
                users.join(", ")
            ),
        )
        .replace("  allow:\n", &format!("  allow:\n{reasons}"));
    repo.write("teams/web.yaml", text);
    let html = page(&repo);
    assert_eq!(
        html.matches("<script").count(),
        1,
        "one script, the page's own"
    );
    assert_eq!(html.matches("</style>").count(), 1);
    assert_eq!(html.matches("<img").count(), 0);
    assert_eq!(html.matches("<h1>").count(), 1);
    assert_eq!(html.matches("<!--").count(), 0);
    assert!(!html.contains("onmouseover='"));
    assert!(!html.contains("49"), "templates in values are not run");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("access.html");
    std::fs::write(&path, &html).expect("write the page");
    let dom = browse(&file_url(&path), &["--dump-dom"]);
    assert_eq!(dom.matches("<script").count(), 1);
    assert_eq!(dom.matches("<img").count(), 0);
    // Chromium writes text back escaped as the DOM holds it: `&lt;`.
    assert!(dom.contains("&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(dom.contains("{{ 7 * 7 }}"));
}

/// A YAML double-quoted scalar holding exactly `s`.
fn yaml(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Invalid declarations: the diagnostics, exit 1, no page.
#[test]
fn invalid_declarations_give_no_page() {
    let repo = fixture();
    repo.write(
        "teams/web.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: web\nspec:\n  memebrs: {}\n  namespaces: [web-prod]\n",
    );
    let run = repo.rbacc_on(TODAY, "report");
    run.expect_code(1)
        .stdout_is("")
        .stderr_has("unknown field `memebrs`");
}
