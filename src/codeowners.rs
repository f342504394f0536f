//! CODEOWNERS files: a change to a team's file, or to what rbacc compiles
//! from it, asks for the review of the team's owners (`metadata.owners`);
//! a change to anything else, for the review of the platform's owners
//! (`spec.owners`).
//!
//! Input: the resolved [`Org`] and the files of `out/` that [`crate::emit`]
//! made from it; output: the text of a CODEOWNERS file, in GitHub's syntax
//! (one line per path) or GitLab's (one section per team). [`compare`]
//! checks a committed file against it.
//!
//! Architecture invariant: pure, like `emit`. `load` reads the committed
//! files from the places forges look for them; `main` writes one.
//!
//! The file starts with a catch-all, `*`, for the platform's owners: both
//! forges apply the last pattern that matches a path, so every path no team
//! rule matches (rbacc.yaml, templates/, schema/, deploy/, CI workflows,
//! the files of teams without owners, shards no team owns) has an owner.
//! GitLab applies the last match of every section, so the platform's
//! section also excludes (`!`) each team rule, leaving team files to the
//! team alone. Every team pattern matches one team's files only: the team
//! file's own path, and, for the compiled output, patterns with `*` for the
//! cluster that [`TeamFiles`] derives from the layout of `out/`. Team names
//! are DNS labels, so these need no escaping; a team file whose directory
//! has other characters is matched as `/teams/**/<team>.yaml`, which is
//! unique because a team file is named after its team and team names are
//! unique. Text from the input in a comment goes through [`comment_text`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::diag::{Code, Diagnostic};
use crate::emit::{GENERATED_MARKER, Output, TeamFiles};
use crate::load::{InputFile, TEAMS_DIR};
use crate::model::{Org, Team};
use crate::source::{Sources, Span};

/// Whose CODEOWNERS syntax to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Syntax {
    /// GitHub: one line per path, the team's name in a comment above.
    Github,
    /// GitLab: one section per team (`[Team payments]`), so that each
    /// team's approval is asked for on its own.
    Gitlab,
}

/// Every place a forge reads a CODEOWNERS file from, relative to the
/// repository: GitHub reads the first of `.github/`, the root and `docs/`;
/// GitLab the first of the root, `docs/` and `.gitlab/`.
pub const LOCATIONS: &[&str] = &[
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

impl Syntax {
    /// The forge's name.
    pub fn forge(self) -> &'static str {
        match self {
            Syntax::Github => "GitHub",
            Syntax::Gitlab => "GitLab",
        }
    }

    /// The largest file the forge reads, if it has a limit: GitHub does not
    /// load a CODEOWNERS file of 3 MB or more.
    pub fn size_limit(self) -> Option<usize> {
        match self {
            Syntax::Github => Some(3 * 1024 * 1024),
            Syntax::Gitlab => None,
        }
    }

    /// Where `rbacc codeowners --write` puts a new file: the place the
    /// forge reads first.
    pub fn default_location(self) -> &'static str {
        self.locations()[0]
    }

    /// The places the forge reads, in the order it looks.
    pub fn locations(self) -> &'static [&'static str] {
        match self {
            Syntax::Github => &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"],
            Syntax::Gitlab => &["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"],
        }
    }

    /// The command that writes the file again.
    pub fn command(self) -> &'static str {
        match self {
            Syntax::Github => "rbacc codeowners --write",
            Syntax::Gitlab => "rbacc codeowners --syntax gitlab --write",
        }
    }
}

/// The syntax of a CODEOWNERS file rbacc generated, read from its first
/// line; `None` for a file rbacc did not generate.
pub fn generated(contents: &[u8]) -> Option<Syntax> {
    let first = contents.split(|&b| b == b'\n').next().unwrap_or_default();
    if !first.starts_with(GENERATED_MARKER.as_bytes()) {
        return None;
    }
    let gitlab = b"--syntax gitlab";
    Some(if first.windows(gitlab.len()).any(|w| w == gitlab) {
        Syntax::Gitlab
    } else {
        Syntax::Github
    })
}

/// A committed CODEOWNERS file that rbacc generated.
#[derive(Clone, Copy, Debug)]
pub struct Committed<'a> {
    /// Where it is, one of [`LOCATIONS`].
    pub path: &'a str,
    pub contents: &'a [u8],
    /// The syntax its header names.
    pub syntax: Syntax,
}

/// The files among `files` (read from [`LOCATIONS`]) that rbacc generated,
/// in that order. Hand-written files are left out: rbacc leaves them alone.
pub fn committed(files: &[InputFile]) -> Vec<Committed<'_>> {
    files
        .iter()
        .filter_map(|file| {
            let contents = file.contents.as_deref().ok()?;
            Some(Committed {
                path: &file.path,
                contents,
                syntax: generated(contents)?,
            })
        })
        .collect()
}

fn header(syntax: Syntax) -> String {
    let mut text = format!(
        "{GENERATED_MARKER} from the owners in rbacc.yaml and teams/. Do not edit: run `{}`.\n",
        syntax.command()
    );
    text.push_str(
        "#\n\
         # Everything belongs to the platform's owners, `spec.owners` in rbacc.yaml\n\
         # (the catch-all `*` first), except what a team owns: each team's file, and\n\
         # what rbacc compiles from it on every cluster (its shard of out/,\n\
         # kubeconfigs and Flux Kustomization), belongs to the team's owners,\n\
         # `metadata.owners`, whose rules come later and win: a change to them asks\n\
         # for their review. Teams without owners are listed as comments; their\n\
         # files stay with the platform.\n",
    );
    if syntax == Syntax::Gitlab {
        text.push_str(
            "# Each team is a section, so each team's owners approve on their own; the\n\
             # platform's section excludes (`!`, GitLab 17.10 or later) what teams own.\n",
        );
    }
    text
}

/// The comment written instead of the catch-all when `spec.owners` is
/// empty; [`warnings`] looks for it.
const NO_DEFAULT_OWNERS: &str = "# No default owners: `spec.owners` in rbacc.yaml is empty, so what no team owns asks no one for review.";

/// What `rbacc codeowners` should warn about in a file it rendered in
/// `syntax`: a file the forge will not load, or one that gives what no team
/// owns to no one.
pub fn warnings(text: &str, syntax: Syntax) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(limit) = syntax.size_limit()
        && text.len() > limit
    {
        out.push(format!(
            "the CODEOWNERS file is {} bytes; {} ignores one over {} bytes",
            text.len(),
            syntax.forge(),
            limit
        ));
    }
    if text.lines().any(|l| l == NO_DEFAULT_OWNERS) {
        out.push(
            "`spec.owners` in rbacc.yaml is empty: rbacc.yaml, templates/, schema/, deploy/, \
             CI workflows and the files of teams without owners have no code owner; name the \
             platform's owners there"
                .to_string(),
        );
    }
    out
}

/// The CODEOWNERS file for `org`, whose compiled files are `output`.
/// `out` is where `out/` lies in the repository (`out`); without it, only
/// team files are listed. First the catch-all for `spec.owners` (in
/// GitLab's syntax, with an exclusion for every team rule), then the teams
/// in name order, each with its file, then its compiled files, then its
/// owners as written.
pub fn render(org: &Org, output: &Output, syntax: Syntax, out: Option<&str>) -> String {
    let mut compiled: BTreeMap<String, BTreeSet<TeamFiles>> = BTreeMap::new();
    if out.is_some() {
        for path in output.files.keys() {
            if let Some((team, files)) = TeamFiles::of(path) {
                compiled.entry(team).or_default().insert(files);
            }
        }
    }
    // The rules of each team with owners.
    let rules: Vec<(&Team, Vec<String>)> = org
        .teams
        .iter()
        .filter(|team| !team.owners.is_empty())
        .map(|team| {
            let mut patterns = vec![team_file_pattern(&team.source, &team.name)];
            if let (Some(out), Some(kinds)) = (out, compiled.get(team.name.as_str())) {
                for kind in kinds {
                    patterns.push(format!("/{out}/{}", kind.pattern(&team.name)));
                }
            }
            (team, patterns)
        })
        .collect();
    let mut text = header(syntax);
    text.push('\n');
    if org.owners.is_empty() {
        let _ = writeln!(text, "{NO_DEFAULT_OWNERS}");
    } else {
        let _ = match syntax {
            Syntax::Github => writeln!(text, "# Platform: everything no team owns"),
            Syntax::Gitlab => writeln!(text, "[Platform]"),
        };
        let _ = writeln!(text, "* {}", org.owners.join(" "));
        if syntax == Syntax::Gitlab {
            for (_, patterns) in &rules {
                for pattern in patterns {
                    let _ = writeln!(text, "!{pattern}");
                }
            }
        }
    }
    let mut rules = rules.into_iter().peekable();
    for team in &org.teams {
        text.push('\n');
        let Some((_, patterns)) = rules.next_if(|(t, _)| t.name == team.name) else {
            let _ = writeln!(
                text,
                "# Team {}: no owners (`metadata.owners` in {})",
                crate::text::comment(&team.name),
                crate::text::comment(&team.source)
            );
            continue;
        };
        let _ = match syntax {
            Syntax::Github => writeln!(text, "# Team {}", crate::text::comment(&team.name)),
            Syntax::Gitlab => writeln!(text, "[Team {}]", team.name),
        };
        let owners = team.owners.join(" ");
        for pattern in patterns {
            let _ = writeln!(text, "{pattern} {owners}");
        }
    }
    text
}

/// Whether `path` can be written in a CODEOWNERS pattern as it is: no
/// spaces, glob characters, `#`, `!` or backslashes, which the forges
/// escape differently or not at all.
pub fn plain_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && !path.split('/').any(|part| part.is_empty() || part == "..")
}

/// The pattern of a team's file: its path, or `/teams/**/<team>.yaml` when
/// the path is not plain.
fn team_file_pattern(source: &str, team: &str) -> String {
    if plain_path(source) {
        format!("/{source}")
    } else {
        format!("/{TEAMS_DIR}/**/{team}.yaml")
    }
}

/// A diagnostic when the committed file at `path` (one rbacc generated)
/// differs from `expected`, pointing at the first line that differs. The
/// file is added to `sources`.
pub fn compare(
    sources: &mut Sources,
    path: &str,
    committed: &[u8],
    expected: &str,
    syntax: Syntax,
) -> Option<Diagnostic> {
    if committed == expected.as_bytes() {
        return None;
    }
    let text = String::from_utf8_lossy(committed).into_owned();
    let mut offset = 0;
    let mut at = None;
    let mut expected_lines = expected.split_inclusive('\n');
    for line in text.split_inclusive('\n') {
        let want = expected_lines.next();
        if want != Some(line) {
            let shown = line.trim_end_matches(['\n', '\r']).len();
            at = Some((offset, shown, want));
            break;
        }
        offset += line.len();
    }
    let (offset, len, want) = at.unwrap_or((text.len(), 0, expected_lines.next()));
    let file = sources.add(path.to_string(), text);
    let label = match want {
        Some(_) if len == 0 => "a line is missing here",
        Some(_) => "differs from what rbacc generates",
        None => "rbacc generates nothing from here on",
    };
    let expected_line = want
        .map(|w| format!("expected `{}`; ", w.trim_end_matches('\n')))
        .unwrap_or_default();
    Some(
        Diagnostic::error(
            Code::StaleCodeowners,
            Span::new(file, offset, len),
            format!("`{path}` is not what `rbacc codeowners` generates from the owners in rbacc.yaml and teams/"),
        )
        .label(label)
        .help(format!(
            "{expected_line}run `{}` and commit the result",
            syntax.command()
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_github_limits_the_size() {
        assert_eq!(Syntax::Github.size_limit(), Some(3 << 20));
        assert_eq!(Syntax::Gitlab.size_limit(), None);
    }

    #[test]
    fn comments_stay_on_their_line() {
        assert_eq!(
            crate::text::comment("teams/web shop/x.yaml"),
            "teams/web shop/x.yaml"
        );
        assert_eq!(
            crate::text::comment("a\nb\r\tc\u{85}\u{2028}\u{2029}\u{1b}[2K\u{202e}"),
            "a\\nb\\r\\tc\\u{85}\\u{2028}\\u{2029}\\u{1b}[2K\\u{202e}"
        );
    }

    #[test]
    fn warns_of_a_file_too_large_or_without_default_owners() {
        let owned = format!("{}\n* @acme/platform\n", header(Syntax::Github));
        assert!(warnings(&owned, Syntax::Github).is_empty());
        let unowned = format!("{}\n{NO_DEFAULT_OWNERS}\n", header(Syntax::Gitlab));
        let found = warnings(&unowned, Syntax::Gitlab);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("`spec.owners` in rbacc.yaml is empty"));
        let large = owned.repeat(3 << 20 >> 8);
        assert!(
            warnings(&large, Syntax::Github)[0].contains("GitHub ignores one over 3145728 bytes")
        );
        assert!(warnings(&large, Syntax::Gitlab).is_empty());
    }

    #[test]
    fn generated_files_are_known_by_their_first_line() {
        for syntax in [Syntax::Github, Syntax::Gitlab] {
            assert_eq!(generated(header(syntax).as_bytes()), Some(syntax));
        }
        assert_eq!(generated(b"* @acme/platform\n"), None);
        assert_eq!(generated(b"# owners\n# Generated by rbacc\n"), None);
        assert_eq!(generated(b""), None);
    }

    #[test]
    fn only_plain_paths_are_written_as_they_are() {
        assert!(plain_path("teams/payments.yaml"));
        assert!(plain_path("teams/platform/sre_1.yaml"));
        for odd in [
            "teams/my team/x.yaml",
            "teams/#x/x.yaml",
            "teams/[a]/x.yaml",
            "teams/*/x.yaml",
            "teams/!x/x.yaml",
            "teams/a\\b/x.yaml",
            "teams/ü/x.yaml",
            "",
        ] {
            assert!(!plain_path(odd), "{odd}");
        }
        assert_eq!(
            team_file_pattern("teams/my team/payments.yaml", "payments"),
            "/teams/**/payments.yaml"
        );
    }

    #[test]
    fn compare_points_at_the_first_difference() {
        let expected = "# head\na @x\nb @y\n";
        let mut sources = Sources::default();
        assert!(
            compare(
                &mut sources,
                "CODEOWNERS",
                expected.as_bytes(),
                expected,
                Syntax::Github
            )
            .is_none()
        );
        for (committed, offset, len, help) in [
            ("# head\na @x\nb @z\n", 12, 4, "expected `b @y`"),
            ("# head\na @x\n", 12, 0, "expected `b @y`"),
            (
                "# head\na @x\nb @y\nc @z\n",
                17,
                4,
                "run `rbacc codeowners --write`",
            ),
        ] {
            let d = compare(
                &mut sources,
                "CODEOWNERS",
                committed.as_bytes(),
                expected,
                Syntax::Github,
            )
            .expect("stale");
            assert_eq!(
                (d.primary.span.offset, d.primary.span.len),
                (offset, len),
                "{committed:?}"
            );
            assert!(
                d.help.as_deref().is_some_and(|h| h.starts_with(help)),
                "{:?}",
                d.help
            );
        }
    }
}
