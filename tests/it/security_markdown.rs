//! The reports of hostile pull requests. The markdown one is read by a real
//! GFM renderer (comrak, a port of GitHub's cmark-gfm, with GitHub's
//! extensions on): whatever a pull request writes into reasons, subject
//! names, descriptions, templates, file names or branch names, the comment
//! holds only the markup the report itself writes, and every hostile value
//! reads as written. The text report never prints a control character.

use std::collections::BTreeSet;

use comrak::Arena;
use comrak::nodes::{AstNode, NodeValue};
use serde_json::Value;

use crate::diff::{commit, diff, fixture, git};
use crate::gfm::options;
use crate::support::Repo;

/// Free text a pull request can write (`spec.allow[].reason`): every
/// markdown and HTML construct that could leave its place.
const REASONS: &[&str] = &[
    "see `<img src=x onerror=alert(1)>``` here",
    "``<img src=x onerror=alert(2)>``",
    "` `` ``` ```` ````` <img src=x onerror=alert(3)> ````` ```` ``` `` `",
    "`starts and ends with a backtick`",
    "</details><img src=x onerror=alert(4)>",
    "<!-- an open comment",
    "</summary></details>\n\n<script>alert(5)</script>",
    "a | b || c \\| d",
    "line one\nline two\n# heading\n***\n- item\n> quote\n",
    "[link](javascript:alert(6)) and <javascript:alert(7)>",
    "![img](https://example.com/x.png)",
    "# a leading hash",
    "***",
    "1. ordered",
    "u\u{2028}v\u{2029}w\u{85}x\ry",
    "https://evil.example/x and www.evil.example",
    "~~struck~~ *em* _em_ **strong** $x^2$ [^1] - [ ] task",
    "&lt;img src=x onerror=alert(8)&gt; &amp; &#60;",
    "\\`escaped\\` \\<b\\>",
    " spaces at both ends ",
    "\u{1b}[31mred\u{1b}[0m and \u{202e}reversed",
];

/// User and group names: anything but `system:`, spaces at the ends and
/// invisible characters (line breaks among them), which are refused.
const NAMES: &[&str] = &[
    "<img src=x onerror=alert(9)>",
    "a|b",
    "x\\|y",
    "`tick",
    "``<b>bold</b>``",
    "[link](javascript:alert(10))",
    "![img](x)",
    "# head",
    "***",
    "</details>",
    "<!--",
];

/// Lines of generated files (a custom role's description, a kubeconfig
/// template): fences of both kinds, closing tags.
const GENERATED: &str =
    "````````` </details> <img src=x onerror=alert(11)>\n```\n~~~~~~~~~~\n</details>\n<!--";

/// A team file's directory and a branch name a pull request can choose.
/// (Line breaks and other invisible characters are refused in paths.)
const DIR: &str = "x`<img src=x onerror=alert(12)>`|[y](javascript:z)";
const BRANCH: &str = "pr/`<img/src=x/onerror=alert(13)>`|x";

/// A YAML double-quoted scalar holding exactly `s`.
fn yaml(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// The fixture organisation with a hostile pull request committed on top,
/// and the base as a branch with a hostile name.
fn hostile() -> Repo {
    let repo = fixture();
    git(repo.path(), &["branch", BRANCH]);
    let allow: String = REASONS
        .iter()
        .map(|r| {
            format!(
                "    - {{ risk: secrets, role: admin, reason: {} }}\n",
                yaml(r)
            )
        })
        .collect();
    let names: Vec<String> = NAMES.iter().map(|n| yaml(n)).collect();
    repo.edit(
        "teams/alpha.yaml",
        "    admin: { groups: [alpha-leads] }\n    viewer: { users: [auditor@example.com] }\n  namespaces:\n",
        &format!(
            "    admin: {{ groups: [alpha-leads, {names}] }}\n    viewer: {{ users: [auditor@example.com, {names}] }}\n  allow:\n{allow}  namespaces:\n",
            names = names.join(", ")
        ),
    );
    repo.edit(
        "rbacc.yaml",
        "  kubeconfig:\n",
        &format!(
            "  roles:\n    - name: hostile\n      description: {}\n      rules:\n        - {{ apiGroups: [example.com], resources: [widgets], verbs: [get] }}\n  kubeconfig:\n",
            yaml(GENERATED)
        ),
    );
    let comment: String = GENERATED
        .lines()
        .map(|l| format!("# {l} \u{202e}\n"))
        .collect();
    repo.edit(
        "templates/team-login.yaml.j2",
        "apiVersion: v1\n",
        &format!("{comment}apiVersion: v1\n"),
    );
    repo.write(
        &format!("teams/{DIR}/gamma.yaml"),
        format!(
            "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: gamma\nspec:\n  members:\n    admin: {{ users: [gina@example.com] }}\n  allow:\n    - {{ risk: secrets, role: admin, reason: {} }}\n  namespaces:\n    - gamma-prod\n",
            yaml(REASONS[0])
        ),
    );
    commit(repo.path(), "hostile");
    repo
}

fn report(repo: &Repo, format: &str) -> String {
    diff(repo, &["--base", BRANCH, "--head", "HEAD", "-o", format])
        .expect_code(0)
        .stdout()
}

/// A value as the reports show it: line breaks and other control and
/// invisible characters as escapes.
fn shown(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The elements the report writes with no attributes.
const PLAIN_ELEMENTS: &[&str] = &[
    "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "pre", "strong", "ul", "li",
    "details", "summary", "sub", "br",
];

/// The elements the report writes with attributes, and the attributes each
/// may carry (each may also stand bare).
const ELEMENTS: &[(&str, &[&str])] = &[
    ("p", &["class=\"markdown-alert-title\""]),
    (
        "code",
        &["class=\"language-diff\"", "class=\"language-text\""],
    ),
    (
        "div",
        &[
            "class=\"markdown-alert markdown-alert-warning\"",
            "class=\"markdown-alert markdown-alert-note\"",
            "class=\"markdown-alert markdown-alert-caution\"",
        ],
    ),
];

/// Asserts that every tag of `html` is one of [`PLAIN_ELEMENTS`] or
/// [`ELEMENTS`], with at most its attributes, and that the only comment is
/// the report's marker.
fn assert_only_the_reports_elements(html: &str) {
    let mut rest = html;
    let mut first = true;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        if rest.starts_with("<!--") {
            assert!(
                first && rest.starts_with("<!-- rbacc-diff -->\n"),
                "a comment that is not the marker: {}",
                &rest[..rest.len().min(80)]
            );
            rest = &rest["<!-- rbacc-diff -->".len()..];
            first = false;
            continue;
        }
        first = false;
        let end = rest.find('>').expect("tags close");
        let tag = &rest[1..end];
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
        let allowed: &[&str] = if PLAIN_ELEMENTS.contains(&name) {
            &[]
        } else {
            ELEMENTS
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("an element the report does not write: <{tag}>"))
                .1
        };
        assert!(
            attributes.is_empty() || allowed.contains(&attributes),
            "attributes the report does not write: <{tag}>"
        );
        rest = &rest[end + 1..];
    }
}

/// The text of each leaf block (paragraph, heading, table cell, code
/// block, HTML block): what a reader sees there.
fn blocks<'a>(root: &'a AstNode<'a>) -> Vec<String> {
    fn inline_text<'a>(node: &'a AstNode<'a>, out: &mut String) {
        for child in node.children() {
            match &child.data().value {
                NodeValue::Text(t) => out.push_str(t),
                NodeValue::Code(c) => out.push_str(&c.literal),
                NodeValue::SoftBreak | NodeValue::LineBreak => out.push('\n'),
                _ => {}
            }
            inline_text(child, out);
        }
    }
    root.descendants()
        .filter_map(|n| match &n.data().value {
            NodeValue::Paragraph | NodeValue::Heading(_) | NodeValue::TableCell => {
                let mut text = String::new();
                inline_text(n, &mut text);
                Some(text)
            }
            NodeValue::CodeBlock(c) => Some(c.literal.clone()),
            NodeValue::HtmlBlock(h) => Some(h.literal.clone()),
            _ => None,
        })
        .collect()
}

/// The text of each code block and of each HTML block, in order.
fn literal_blocks<'a>(root: &'a AstNode<'a>) -> (Vec<String>, Vec<String>) {
    let (mut code, mut html) = (Vec::new(), Vec::new());
    for n in root.descendants() {
        match &n.data().value {
            NodeValue::CodeBlock(c) => code.push(c.literal.clone()),
            NodeValue::HtmlBlock(h) => html.push(h.literal.clone()),
            _ => {}
        }
    }
    (code, html)
}

/// Asserts the structure of the report's markdown: its own headings, bold
/// text and elements only, no link, image or other markup from the input.
fn assert_only_the_reports_markup(markdown: &str) {
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, markdown, &options());
    let mut headings = Vec::new();
    for node in root.descendants() {
        let value = node.data().value.clone();
        match value {
            NodeValue::Heading(h) => {
                let mut text = String::new();
                for t in node.descendants() {
                    match &t.data().value {
                        NodeValue::Text(s) => text.push_str(s),
                        NodeValue::Code(c) => text.push_str(&c.literal),
                        _ => {}
                    }
                }
                headings.push((h.level, text));
            }
            NodeValue::Strong => {
                let text: String = node
                    .descendants()
                    .filter_map(|t| match &t.data().value {
                        NodeValue::Text(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect();
                assert!(
                    text.ends_with(':') || text.ends_with(" are not shown"),
                    "bold text the report does not write: {text:?}"
                );
            }
            NodeValue::Document
            | NodeValue::Paragraph
            | NodeValue::List(_)
            | NodeValue::Item(_)
            | NodeValue::Table(_)
            | NodeValue::TableRow(_)
            | NodeValue::TableCell
            | NodeValue::Text(_)
            | NodeValue::Code(_)
            | NodeValue::CodeBlock(_)
            | NodeValue::HtmlBlock(_)
            | NodeValue::HtmlInline(_)
            | NodeValue::SoftBreak
            | NodeValue::Alert(_) => {}
            other => panic!("markup the report does not write: {other:?}"),
        }
    }
    let (first, rest) = headings.split_first().expect("a heading");
    assert!(
        first.0 == 3 && first.1.starts_with("rbacc diff: "),
        "{first:?}"
    );
    for (level, text) in rest {
        assert!(
            *level == 4
                && (text == "Access changes"
                    || text == "Warnings"
                    || text.starts_with("Manifests (")),
            "a heading the report does not write: {level} {text:?}"
        );
    }
    let mut html = String::new();
    comrak::format_html(root, &options(), &mut html).expect("renders");
    assert_only_the_reports_elements(&html);
}

/// The reasons, names, file name and branch name of a hostile pull request
/// leave the markdown report with its own markup only.
#[test]
fn hostile_pull_request_adds_no_markup_to_the_comment() {
    let repo = hostile();
    let markdown = report(&repo, "markdown");
    assert!(markdown.starts_with("<!-- rbacc-diff -->\n"), "{markdown}");
    assert_only_the_reports_markup(&markdown);
}

/// Every hostile value reads as written, each in one block of the comment
/// (one line, one cell, one code span: nothing cut, nothing swallowed).
#[test]
fn hostile_values_read_as_written() {
    let repo = hostile();
    let markdown = report(&repo, "markdown");
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, &markdown, &options());
    let blocks = blocks(root);
    for value in REASONS.iter().chain(NAMES).chain([&DIR, &BRANCH]) {
        let shown = shown(value);
        assert!(
            blocks.iter().any(|b| b.contains(&shown)),
            "{value:?} does not read as {shown:?} in any block of:\n{markdown}"
        );
    }
    // The names are cells of the access table: a `|` adds no cell.
    let rows: Vec<usize> = root
        .descendants()
        .filter(|n| matches!(n.data().value, NodeValue::TableRow(_)))
        .map(|row| row.children().count())
        .collect();
    assert!(
        rows.iter()
            .all(|&cells| cells == 3 || cells == 4 || cells == 6),
        "{rows:?}"
    );
    for name in NAMES {
        let cell = format!("User {}", shown(name));
        assert!(blocks.contains(&cell), "no cell {cell:?} in:\n{markdown}");
    }
}

/// Generated files that hold fences and closing tags stay inside their
/// code blocks: one block per changed file, holding exactly its diff.
#[test]
fn generated_files_stay_in_their_code_blocks() {
    let repo = hostile();
    let markdown = report(&repo, "markdown");
    let json: Value = serde_json::from_str(&report(&repo, "json")).expect("JSON");
    let diffs: Vec<String> = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            f["diff"]
                .as_str()
                .expect("diff")
                .lines()
                .map(|l| format!("{}\n", shown(l)))
                .collect()
        })
        .collect();
    assert!(
        diffs.iter().any(|d| d.contains("</details>")) && diffs.iter().any(|d| d.contains("```")),
        "the hostile lines reach the generated files: {diffs:?}"
    );
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, &markdown, &options());
    let (blocks, html) = literal_blocks(root);
    assert_eq!(blocks, diffs);
    // Each cluster's `<details>` closes after its own files; the access
    // detail's close after theirs.
    let opened = html.iter().filter(|h| h.starts_with("<details>")).count();
    let closed = html.iter().filter(|h| *h == "</details>\n").count();
    let clusters = html
        .iter()
        .filter(|h| h.starts_with("<details><summary>prod: "))
        .count();
    assert_eq!((opened, closed, clusters), (3, 3, 1), "{html:?}");
    let last_open = html.iter().rposition(|h| h.starts_with("<details>"));
    assert_eq!(
        last_open,
        html.iter()
            .position(|h| h.starts_with("<details><summary>prod: "))
    );
}

/// A head that does not compile, with hostile text in the lines its
/// diagnostics quote: the comment holds one code block and only the
/// report's markup.
#[test]
fn hostile_head_that_does_not_compile() {
    let repo = hostile();
    repo.write(
        "teams/zz.yaml",
        format!(
            "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: zz\nspec:\n  namespaces: [zz-prod]\n  {}: 1\n",
            yaml(GENERATED)
        ),
    );
    commit(repo.path(), "broken");
    let markdown = diff(
        &repo,
        &["--base", BRANCH, "--head", "HEAD", "-o", "markdown"],
    )
    .expect_code(1)
    .stdout();
    assert!(markdown.starts_with("<!-- rbacc-diff -->\n"), "{markdown}");
    assert_only_the_reports_markup(&markdown);
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, &markdown, &options());
    let (blocks, _) = literal_blocks(root);
    assert_eq!(blocks.len(), 1, "{markdown}");
    assert!(blocks[0].contains("unknown field"), "{}", blocks[0]);
    assert!(blocks[0].contains("</details>"), "{}", blocks[0]);
}

/// The text report escapes what the markdown one escapes: no control,
/// separator or direction character reaches the terminal.
#[test]
fn text_report_prints_no_control_character() {
    let repo = hostile();
    let text = report(&repo, "text");
    let found: BTreeSet<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}')
        })
        .collect();
    assert!(found.is_empty(), "{found:?} in:\n{text}");
    for value in REASONS.iter().chain(NAMES) {
        assert!(
            text.contains(&shown(value)),
            "{value:?} not shown in:\n{text}"
        );
    }
}
